"""Replicas, autoscaling, disruption budgets and rollout strategy of a workload."""

from __future__ import annotations

from .. import defaults
from ..model import Autoscaling
from ..pointers import JSON

__all__ = ["autoscaling_values", "pdb_values", "replica_count", "rollout_strategy"]


def replica_count(autoscaling: Autoscaling | None, *choices: int | None) -> int | None:
    """None when autoscaling (a rollout must not reset the HPA's count), else the first set."""
    if autoscaling is not None:
        return None
    return next((c for c in choices if c is not None), defaults.REPLICAS)


def autoscaling_values(autoscaling: Autoscaling | None) -> JSON:
    if autoscaling is None:
        return None
    return {
        "maxReplicas": autoscaling.max_replicas,
        "minReplicas": autoscaling.min_replicas,
        "targetCPUUtilizationPercentage": autoscaling.target_cpu_utilization,
    }


def pdb_values(enabled: bool) -> JSON:
    return {"maxUnavailable": 1} if enabled else None


def rollout_strategy(gpus: int) -> JSON:
    """Surge for CPU workloads; GPU workloads replace in place so a full cluster cannot deadlock."""
    surge, unavailable = (0, 1) if gpus else (1, 0)
    return {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }
