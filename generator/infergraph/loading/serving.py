"""Graph-wide serving options: native `spec` fields over honoured `seldon.io/*` annotations."""

from __future__ import annotations

from collections.abc import Mapping

from .. import defaults
from ..errors import Findings
from ..model import Serving, Tracing
from ..pointers import JSON
from .seldon import read_annotations

__all__ = ["serving_options"]

_NATIVE_SWITCHES = {
    "networkPolicy": "network_policy",
    "serviceMonitor": "service_monitor",
    "podDisruptionBudget": "pod_disruption_budget",
}


def _native(spec: Mapping[str, JSON]) -> dict[str, JSON]:
    """Serving options written as native `spec` fields (they win over annotations)."""
    istio = spec.get("istio", {})
    out: dict[str, JSON] = {}
    for key, name in (("enabled", "istio_enabled"), ("peerAuthentication", "peer_authentication")):
        if key in istio:
            out[name] = istio[key]
    for key, name in (("gateways", "istio_gateways"), ("hosts", "istio_hosts")):
        if key in istio:
            out[name] = tuple(istio[key])
    if "retries" in istio:
        out["istio_retries"] = int(istio["retries"])
    if "authorizationPolicy" in istio:
        out["authorization_principals"] = tuple(istio["authorizationPolicy"]["principals"])
    for key, name in _NATIVE_SWITCHES.items():
        if "enabled" in spec.get(key, {}):
            out[name] = spec[key]["enabled"]
    if "tracing" in spec:
        tracing = spec["tracing"]
        ratio = tracing.get("samplerRatio", defaults.TRACING_SAMPLER_RATIO)
        out["tracing"] = Tracing(endpoint=tracing["endpoint"], sampler_ratio=float(ratio))
    return out


def serving_options(data: Mapping[str, JSON], findings: Findings) -> tuple[Serving, dict[str, str]]:
    """(Serving, the graph annotations without `seldon.io/*`) of a schema-valid document.

    Annotations come from metadata.annotations and, for a SeldonDeployment, spec.annotations
    (which win, as in Seldon's operator).
    """
    metadata, spec = data["metadata"], data["spec"]
    given = {**metadata.get("annotations", {}), **spec.get("annotations", {})}
    where = dict.fromkeys(metadata.get("annotations", {}), "/metadata/annotations")
    where.update(dict.fromkeys(spec.get("annotations", {}), "/spec/annotations"))
    options, annotations = read_annotations(given, where, findings, graph_level=True)
    return Serving(**{**options, **_native(spec)}), annotations
