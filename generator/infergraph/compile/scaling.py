"""Replicas, autoscaling (HPA or KEDA), disruption budgets and rollout strategy of a workload."""

from __future__ import annotations

from .. import defaults
from ..model import Autoscaling, KedaScaling
from ..pointers import JSON

__all__ = ["autoscaling_values", "pdb_values", "replica_count", "rollout_strategy"]


def replica_count(
    autoscaling: Autoscaling | KedaScaling | None, *choices: int | None
) -> int | None:
    """None when autoscaling (a rollout must not reset the HPA's or KEDA's count), else the
    first set."""
    if autoscaling is not None:
        return None
    return next((c for c in choices if c is not None), defaults.REPLICAS)


def _keda_values(keda: KedaScaling, fullname: str) -> JSON:
    """A trigger's `secretTargetRef` becomes TriggerAuthentication `<fullname>-trigger-<i>`,
    which the trigger then names in `authenticationRef`."""
    triggers: list[JSON] = []
    authentications: dict[str, JSON] = {}
    for i, trigger in enumerate(keda.triggers):
        written = dict(trigger)
        secrets = written.pop("secretTargetRef", None)
        if secrets is not None:
            name = f"{fullname}-trigger-{i}"
            authentications[name] = {"secretTargetRef": [dict(s) for s in secrets]}
            written["authenticationRef"] = {"name": name}
        triggers.append(written)
    return {
        "minReplicaCount": keda.min_replica_count,
        "maxReplicaCount": keda.max_replica_count,
        "pollingInterval": keda.polling_interval,
        "cooldownPeriod": keda.cooldown_period,
        "triggers": triggers,
        "triggerAuthentications": authentications,
    }


def autoscaling_values(autoscaling: Autoscaling | KedaScaling | None, fullname: str) -> JSON:
    """`{hpa: ...}` or `{keda: ...}`: one key, so no values can ask for both on a Deployment."""
    if autoscaling is None:
        return None
    if isinstance(autoscaling, KedaScaling):
        return {"keda": _keda_values(autoscaling, fullname)}
    return {
        "hpa": {
            "minReplicas": autoscaling.min_replicas,
            "maxReplicas": autoscaling.max_replicas,
            "metrics": [dict(m) for m in autoscaling.metrics],
            "behavior": None if autoscaling.behavior is None else dict(autoscaling.behavior),
        }
    }


def pdb_values(enabled: bool) -> JSON:
    """maxUnavailable 1, never minAvailable: it holds at any count, zero (KEDA) included."""
    return {"maxUnavailable": 1} if enabled else None


def rollout_strategy(gpus: int) -> JSON:
    """Surge for CPU workloads; GPU workloads replace in place so a full cluster cannot deadlock."""
    surge, unavailable = (0, 1) if gpus else (1, 0)
    return {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }
