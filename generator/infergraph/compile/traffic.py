"""Traffic between predictors: resolved weights, shadow mirroring and the Istio settings."""

from __future__ import annotations

from collections.abc import Mapping

from .. import defaults
from ..model import Graph, Predictor
from ..pointers import JSON

__all__ = ["istio_values", "mirror_percent", "resolve_traffic"]


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
        "prefix": f"/{defaults.ISTIO_PREFIX_ROOT}/{graph.name}/",
        "retries": retries,
        "timeout": f"{serving.rest_timeout_ms}ms" if serving.rest_timeout_ms else None,
        "peerAuthentication": serving.peer_authentication,
        "authorizationPolicy": {
            "enabled": principals is not None,
            "principals": list(principals or ()),
        },
    }
