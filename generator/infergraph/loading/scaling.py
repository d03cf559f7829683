"""A node's autoscaling: the native `autoscaling` (HPA or KEDA form), or its componentSpec's
Seldon `hpaSpec` or `kedaSpec`, read into the model with the rules the schema cannot say.

At most one of the three is given. An HPA keeps at least one replica, so `minReplicas: 0` is
an error pointing at KEDA, which scales to zero. HPA metrics are autoscaling/v2 MetricSpecs,
passed through once each names the member its `type` says and each target the value its type
says; KEDA triggers pass through as written.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..defaults import (
    AUTOSCALING_TARGET_CPU,
    KEDA_COOLDOWN_PERIOD,
    KEDA_MAX_REPLICA_COUNT,
    KEDA_MIN_REPLICA_COUNT,
    KEDA_POLLING_INTERVAL,
    REPLICAS,
)
from ..errors import Findings
from ..model import Autoscaling, KedaScaling
from ..pointers import JSON, quote

__all__ = ["read_autoscaling"]

#: metric type → the member of the MetricSpec that describes it
_MEMBERS = {"Resource": "resource", "Pods": "pods", "Object": "object", "External": "external"}
#: target type → the field of the MetricTarget that holds its value
_TARGETS = {"Utilization": "averageUtilization", "Value": "value", "AverageValue": "averageValue"}
#: fields of the HPA form, which the KEDA form replaces
_HPA_FIELDS = (
    "minReplicas",
    "maxReplicas",
    "targetCPUUtilizationPercentage",
    "metrics",
    "behavior",
)
#: KEDA scalers that cannot wake a Deployment from zero replicas (KEDA refuses them alone)
_RESOURCE_SCALERS = frozenset({"cpu", "memory"})


def _cpu_metric(target: int) -> JSON:
    utilization = {"type": "Utilization", "averageUtilization": target}
    return {"type": "Resource", "resource": {"name": "cpu", "target": utilization}}


def _check_metric(metric: Mapping[str, JSON], at: str, findings: Findings) -> None:
    """The member its `type` names is there, no other; its target holds the value its type needs."""
    kind = metric["type"]
    wanted = _MEMBERS[kind]
    for member in _MEMBERS.values():
        if member in metric and member != wanted:
            findings.error(
                f"{at}/{member}", f"is set on a metric of type {kind}; expected {wanted} only"
            )
    body = metric.get(wanted)
    if not isinstance(body, Mapping):
        findings.error(f"{at}/{wanted}", f"required field is missing; type {kind} needs it")
        return
    target, t_at = body["target"], f"{at}/{wanted}/target"
    field = _TARGETS[target["type"]]
    for other in _TARGETS.values():
        if other in target and other != field:
            findings.error(
                f"{t_at}/{other}",
                f"is set on a target of type {target['type']}; expected {field} only",
            )
    if field not in target:
        findings.error(
            f"{t_at}/{field}", f"required field is missing; type {target['type']} needs it"
        )
    if target["type"] == "Utilization" and kind != "Resource":
        findings.error(
            f"{t_at}/type",
            f'"Utilization" is for Resource metrics only; expected Value or AverageValue '
            f"for a {kind} metric",
        )


def _range(low: int, high: int, at: str, names: tuple[str, str], findings: Findings) -> None:
    if low > high:
        findings.error(
            f"{at}/{names[0]}",
            f"{low} is above {names[1]} {high}; expected {names[0]} at most {names[1]}",
        )


def _hpa(raw: Mapping[str, JSON], at: str, metrics_key: str, findings: Findings) -> Autoscaling:
    """The HPA form: a node's `autoscaling` (metrics_key "metrics") or Seldon's `hpaSpec`
    ("metricsv2")."""
    low, high = int(raw.get("minReplicas", REPLICAS)), int(raw["maxReplicas"])
    if low == 0:
        keda = "keda" if metrics_key == "metrics" else "a kedaSpec"
        findings.error(
            f"{at}/minReplicas",
            "0 needs KEDA: a HorizontalPodAutoscaler keeps at least 1 replica; expected 1 or "
            f"more, or {keda} with minReplicaCount 0",
        )
    _range(low, high, at, ("minReplicas", "maxReplicas"), findings)
    target = raw.get("targetCPUUtilizationPercentage")
    given = raw.get(metrics_key)
    if given is not None and target is not None:
        findings.error(
            f"{at}/{metrics_key}",
            f"is set beside targetCPUUtilizationPercentage at {at}; expected one of them",
        )
    for i, metric in enumerate(given or ()):
        _check_metric(metric, f"{at}/{metrics_key}/{i}", findings)
    metrics = tuple(given) if given else (_cpu_metric(target or AUTOSCALING_TARGET_CPU),)
    behavior = raw.get("behavior")
    return Autoscaling(
        min_replicas=low, max_replicas=high, metrics=metrics, behavior=behavior, pointer=at
    )


def _keda(raw: Mapping[str, JSON], at: str, findings: Findings) -> KedaScaling:
    """The KEDA form: a node's `autoscaling.keda` or Seldon's `kedaSpec`."""
    low = int(raw.get("minReplicaCount", KEDA_MIN_REPLICA_COUNT))
    high = int(raw.get("maxReplicaCount", KEDA_MAX_REPLICA_COUNT))
    _range(low, high, at, ("minReplicaCount", "maxReplicaCount"), findings)
    triggers = tuple(raw["triggers"])
    for i, trigger in enumerate(triggers):
        if "authenticationRef" in trigger and "secretTargetRef" in trigger:
            findings.error(
                f"{at}/triggers/{i}/secretTargetRef",
                "is set beside authenticationRef; expected one of them",
            )
    if low == 0 and all(t["type"] in _RESOURCE_SCALERS for t in triggers):
        scalers = ", ".join(quote(t["type"]) for t in triggers)
        findings.error(
            f"{at}/minReplicaCount",
            f"0 needs a trigger that can wake the node from zero, and {scalers} cannot; "
            "expected minReplicaCount 1 or more, or another trigger (prometheus, ...)",
        )
    return KedaScaling(
        min_replica_count=low,
        max_replica_count=high,
        polling_interval=int(raw.get("pollingInterval", KEDA_POLLING_INTERVAL)),
        cooldown_period=int(raw.get("cooldownPeriod", KEDA_COOLDOWN_PERIOD)),
        triggers=triggers,
        pointer=at,
    )


def _native(raw: Mapping[str, JSON], at: str, findings: Findings) -> Autoscaling | KedaScaling:
    if "keda" not in raw:
        return _hpa(raw, at, "metrics", findings)
    for name in _HPA_FIELDS:
        if name in raw:
            findings.error(
                f"{at}/{name}",
                f"is set beside keda at {at}/keda; expected keda alone (its minReplicaCount, "
                "maxReplicaCount and triggers)",
            )
    return _keda(raw["keda"], f"{at}/keda", findings)


def read_autoscaling(
    node: Mapping[str, JSON], at: str, group: Mapping[str, JSON], g_at: str, findings: Findings
) -> Autoscaling | KedaScaling | None:
    """The node's `autoscaling`, or its componentSpec's `hpaSpec` or `kedaSpec`; one of them."""
    given = [
        where
        for where, present in (
            (f"{at}/autoscaling", "autoscaling" in node),
            (f"{g_at}/hpaSpec", "hpaSpec" in group),
            (f"{g_at}/kedaSpec", "kedaSpec" in group),
        )
        if present
    ]
    for where in given[1:]:
        findings.error(given[0], f"is also set at {where}; expected it in one place")
    if "autoscaling" in node:
        return _native(node["autoscaling"], f"{at}/autoscaling", findings)
    if "hpaSpec" in group:
        return _hpa(group["hpaSpec"], f"{g_at}/hpaSpec", "metricsv2", findings)
    if "kedaSpec" in group:
        return _keda(group["kedaSpec"], f"{g_at}/kedaSpec", findings)
    return None
