"""Seldon Core conventions: `seldon.io/*` annotations, mapped onto the model.

A SeldonDeployment and the native document share one schema and one normalizer; only these
Seldon-specific readings differ. Honoured annotations become `Serving` options (explicit
native `spec` options win over them); the others are accepted with a warning, since they tune
parts of Seldon's operator that infergraph does not have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import Findings
from ..pointers import JSON, pointer, quote

__all__ = ["HONOURED", "PREFIX", "read_annotations"]

PREFIX = "seldon.io/"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")

#: honoured annotation → (Serving field, how its value is read)
HONOURED: Mapping[str, tuple[str, str]] = {
    "seldon.io/rest-timeout": ("rest_timeout_ms", "milliseconds"),
    "seldon.io/grpc-timeout": ("grpc_timeout_ms", "milliseconds"),
    "seldon.io/grpc-max-message-size": ("grpc_max_message_size", "bytes"),
    "seldon.io/istio-retries": ("istio_retries", "count"),
    "seldon.io/istio-gateway": ("istio_gateways", "list"),
    "seldon.io/istio-host": ("istio_hosts", "list"),
    "seldon.io/svc-name": ("svc_name", "name"),
}

_IGNORED_BECAUSE = {
    "seldon.io/engine-separate-pod": "the orchestrator always has its own Deployment",
    "seldon.io/no-engine": "every predictor has an orchestrator",
    "seldon.io/headless-svc": "Services are always ClusterIP",
}


def _read(kind: str, text: str) -> tuple[JSON, str | None]:
    """The annotation value as its Serving field wants it, or what was expected instead."""
    if kind == "list":
        items = tuple(item.strip() for item in text.split(",") if item.strip())
        return items, None if items else "a comma-separated list"
    if kind == "name":
        return text, None if _DNS_LABEL.fullmatch(text) else "a DNS-1123 label"
    lowest = 0 if kind == "count" else 1
    if text.isdigit() and len(text) < 12 and int(text) >= lowest:
        return int(text), None
    return None, f"a whole number of {kind}" + (" (0 or more)" if lowest == 0 else " above 0")


def read_annotations(
    annotations: Mapping[str, str], at: Mapping[str, str], findings: Findings, graph_level: bool
) -> tuple[dict[str, JSON], dict[str, str]]:
    """(Serving options from the honoured `seldon.io/*` annotations, the other annotations).

    `at` gives each annotation's pointer prefix. Only graph-level annotations configure
    serving; on a predictor every `seldon.io/*` annotation is reported as having no effect.
    """
    options: dict[str, JSON] = {}
    kept: dict[str, str] = {}
    for key, text in annotations.items():
        where = at[key] + pointer([key])
        if not key.startswith(PREFIX):
            kept[key] = text
        elif not graph_level:
            findings.warn(where, "has no effect on a predictor; set it in metadata.annotations")
        elif key in HONOURED:
            name, kind = HONOURED[key]
            value, expected = _read(kind, text)
            if expected is None:
                options[name] = value
            else:
                findings.error(where, f"{quote(text)} is not valid; expected {expected}")
        else:
            reason = _IGNORED_BECAUSE.get(key, "infergraph has no such option")
            honoured = ", ".join(sorted(HONOURED))
            findings.warn(where, f"ignored: {reason}; honoured annotations: {honoured}")
    return options, kept
