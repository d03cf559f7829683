"""Read cluster state the suite waits on: Job outcome, pod readiness and scheduling, metrics,
and the selectors that find every object of a graph."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

__all__ = [
    "graph_selectors",
    "job_outcome",
    "pod_ready",
    "requests_served",
    "unschedulable_message",
]

REQUESTS_METRIC = "infergraph_requests_total"  # the servers' request counter (metrics.py)


def _condition(doc: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for condition in doc.get("status", {}).get("conditions") or []:
        if condition.get("type") == kind:
            found: dict[str, Any] = condition
            return found
    return None


def job_outcome(job: dict[str, Any]) -> str | None:
    """ "complete", "failed", or None while the Job still runs."""
    for kind in ("Complete", "Failed"):
        condition = _condition(job, kind)
        if condition and condition.get("status") == "True":
            return kind.lower()
    return None


def pod_ready(pod: dict[str, Any]) -> bool:
    """The pod's Ready condition is True."""
    condition = _condition(pod, "Ready")
    return bool(condition and condition.get("status") == "True")


def unschedulable_message(pod: dict[str, Any]) -> str | None:
    """The scheduler's message when it marked the pod Unschedulable, else None."""
    condition = _condition(pod, "PodScheduled")
    if (
        condition
        and condition.get("status") == "False"
        and condition.get("reason") == "Unschedulable"
    ):
        return str(condition.get("message", ""))
    return None


def requests_served(metrics_text: str, endpoint: str, code: str = "200") -> float:
    """Sum of the request counter for `endpoint` answered with `code`, from /metrics text."""
    total = 0.0
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == REQUESTS_METRIC and labels.get("endpoint") == endpoint:
                total += sample.value if labels.get("code") == code else 0.0
    return total


def graph_selectors(values: dict[str, Any]) -> list[str]:
    """One label selector per graph label whose value is the graph's name; together they find
    every object of the graph (the generic `app.kubernetes.io/name` would match all graphs)."""
    name = values["name"]
    return [f"{k}={v}" for k, v in sorted(values["labels"].items()) if v == name]
