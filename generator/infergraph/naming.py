"""Object names: one algorithm, mirrored by the chart's _helpers.tpl and names.libsonnet."""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "DNS1123_LABEL",
    "MAX_NAME",
    "MAX_PREFIX",
    "MAX_RELEASE_NAME",
    "is_dns_label",
    "is_label_value",
    "is_qualified_name",
    "object_name",
    "release_name",
]

#: Kubernetes object names that must be DNS-1123 labels (Services) are capped at 63 characters.
MAX_NAME = 63
#: helm refuses release names longer than this (it builds its own object names from them).
MAX_RELEASE_NAME = 53
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: The prefix of a label, annotation or resource key (before '/') is a DNS-1123 subdomain.
MAX_PREFIX = 253
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
#: The name part of a key, and a label value (which may also be empty): at most 63 characters.
_NAME_PART = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_HASH_LEN = 8


def is_dns_label(value: str) -> bool:
    """True when `value` is a valid DNS-1123 label (what Service names must be)."""
    return len(value) <= MAX_NAME and DNS1123_LABEL.match(value) is not None


def is_qualified_name(key: str) -> bool:
    """True for a Kubernetes label/annotation/resource key: `[prefix/]name`, the prefix a DNS-1123
    subdomain of at most 253 characters, the name 1-63 letters, digits, '-', '_', '.'
    (apimachinery's IsQualifiedName)."""
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > MAX_PREFIX or not _SUBDOMAIN.fullmatch(prefix)):
        return False
    return _NAME_PART.fullmatch(name) is not None


def is_label_value(value: str) -> bool:
    """True for a Kubernetes label value: empty, or 1-63 letters, digits, '-', '_', '.' starting
    and ending with a letter or digit (apimachinery's IsValidLabelValue)."""
    return value == "" or _NAME_PART.fullmatch(value) is not None


def object_name(*parts: str) -> str:
    """Join parts with '-'; past 63 characters keep a prefix and add a stable 8-hex sha256 suffix.

    The suffix is taken over the full joined name, so two long names that share a prefix
    still get distinct, reproducible results.
    """
    return _shorten("-".join(parts), MAX_NAME)


def release_name(graph_name: str) -> str:
    """The helm release name `render` uses: the graph name, shortened as object names are
    when it passes 53 characters.

    The chart names every object from the compiled values, never from the release, so the
    release name shows in no rendered object and any name that helm accepts renders the same
    objects; a graph of up to 63 characters renders through helm as through jsonnet.
    """
    return _shorten(graph_name, MAX_RELEASE_NAME)


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LEN]
    return name[: limit - _HASH_LEN - 1].rstrip("-") + "-" + digest
