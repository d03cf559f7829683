"""Object names: one algorithm, mirrored by the chart's _helpers.tpl and names.libsonnet."""

from __future__ import annotations

import hashlib
import re

__all__ = ["DNS1123_LABEL", "MAX_NAME", "is_dns_label", "object_name"]

#: Kubernetes object names that must be DNS-1123 labels (Services) are capped at 63 characters.
MAX_NAME = 63
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_HASH_LEN = 8


def is_dns_label(value: str) -> bool:
    """True when `value` is a valid DNS-1123 label (what Service names must be)."""
    return len(value) <= MAX_NAME and DNS1123_LABEL.match(value) is not None


def object_name(*parts: str) -> str:
    """Join parts with '-'; past 63 characters keep a prefix and add a stable 8-hex sha256 suffix.

    The suffix is taken over the full joined name, so two long names that share a prefix
    still get distinct, reproducible results.
    """
    joined = "-".join(parts)
    if len(joined) <= MAX_NAME:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:_HASH_LEN]
    return joined[: MAX_NAME - _HASH_LEN - 1].rstrip("-") + "-" + digest
