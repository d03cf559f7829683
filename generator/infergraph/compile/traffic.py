"""Traffic between predictors: resolved weights, shadow mirroring, and the settings of the two
routers that apply them in a cluster (Istio, Gateway API) and of the local gateway."""

from __future__ import annotations

from collections.abc import Mapping

from .. import defaults
from ..model import Graph, Predictor
from ..pointers import JSON
from .mesh import port_level_mtls

__all__ = [
    "gateway_api_duration",
    "gateway_api_values",
    "gateway_namespaces",
    "istio_values",
    "mirror_percent",
    "resolve_traffic",
    "routing_values",
]


def resolve_traffic(graph: Graph) -> Mapping[str, int]:
    """Weight per predictor: shadows 0; one main predictor without `traffic` takes the rest.

    Validation guarantees the main weights then add up to 100.
    """
    mains = [p for p in graph.predictors if not p.shadow]
    given = sum(p.traffic or 0 for p in mains)
    weights: dict[str, int] = {}
    for p in graph.predictors:
        if p.shadow:
            weights[p.name] = 0
        elif len(mains) == 1:
            weights[p.name] = 100
        else:
            weights[p.name] = p.traffic if p.traffic is not None else 100 - given
    return weights


def mirror_percent(predictor: Predictor) -> int | None:
    """The share of requests a shadow receives a copy of: all unless `traffic` says less."""
    if not predictor.shadow:
        return None
    return predictor.traffic or 100


def istio_values(graph: Graph) -> JSON:
    serving = graph.serving
    retries = None
    if serving.istio_retries is not None:
        retries = {
            "attempts": serving.istio_retries,
            "retryOn": defaults.ISTIO_RETRY_ON,
        }
    principals = serving.authorization_principals
    return {
        "enabled": serving.istio_enabled,
        "gateways": list(serving.istio_gateways or defaults.ISTIO_GATEWAYS),
        "hosts": list(serving.istio_hosts or defaults.ISTIO_HOSTS),
        "retries": retries,
        "timeout": f"{serving.rest_timeout_ms}ms" if serving.rest_timeout_ms else None,
        "peerAuthentication": serving.peer_authentication,
        "portLevelMtls": port_level_mtls(serving),
        "authorizationPolicy": {
            "enabled": principals is not None,
            "principals": list(principals or ()),
        },
    }


def routing_values(graph: Graph) -> JSON:
    """What every router shares beside the predictors' weights: the graph's path prefix."""
    return {"prefix": f"/{defaults.ISTIO_PREFIX_ROOT}/{graph.name}/"}


def gateway_api_duration(ms: int) -> str:
    """`ms` as a Gateway API Duration (GEP-2257: at most four parts of at most 5 digits)."""
    parts = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, ms = divmod(ms, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def gateway_api_values(graph: Graph) -> JSON:
    """The HTTPRoute's and GRPCRoute's settings; their weights and mirror are the predictors'."""
    serving = graph.serving
    timeout = serving.rest_timeout_ms
    return {
        "enabled": serving.gateway_api_enabled,
        "parentRefs": [
            {"name": r.name, "namespace": r.namespace, "sectionName": r.section_name}
            for r in serving.gateway_parent_refs
        ],
        "hostnames": list(serving.gateway_hostnames),
        "timeouts": {"request": gateway_api_duration(timeout)} if timeout else None,
        "grpcHeaders": [{"name": defaults.GRPC_ROUTE_HEADER, "value": graph.name}],
    }


def gateway_namespaces(graph: Graph) -> list[str]:
    """Namespaces whose gateways may call the orchestrators: the parentRefs' under Gateway API."""
    serving = graph.serving
    if serving.gateway_api_enabled:
        return sorted({r.namespace for r in serving.gateway_parent_refs})
    return [defaults.NETWORK_POLICY_GATEWAY_NAMESPACE]
