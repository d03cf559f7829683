"""The rollout state of a graph's Deployments, one row per predictor and node (pure: the live
Deployments are given), and the table `infergraph status` prints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..pointers import JSON

__all__ = ["GPU", "Row", "row", "table"]

GPU = "nvidia.com/gpu"
PREDICTOR = "infergraph.io/predictor"
NODE = "infergraph.io/node"
COMPONENT = "app.kubernetes.io/component"
HEADER = ("PREDICTOR", "NODE", "READY", "UP-TO-DATE", "IMAGE", "GPUS", "ROLLOUT")


@dataclass(frozen=True)
class Row:
    """One Deployment of the graph as the cluster has it (`found` False: not there at all)."""

    predictor: str
    node: str
    name: str
    found: bool
    ready: int
    desired: int
    updated: int
    images: tuple[str, ...]
    gpus: int
    condition: str
    done: bool

    def cells(self) -> tuple[str, ...]:
        return (
            self.predictor,
            self.node,
            f"{self.ready}/{self.desired}",
            str(self.updated),
            ",".join(self.images) or "-",
            str(self.gpus),
            self.condition,
        )


def _gpus(deployment: JSON) -> int:
    """GPUs one pod of the Deployment asks for (limits, as the scheduler counts them)."""
    containers = deployment["spec"]["template"]["spec"].get("containers", [])
    limits = [(c.get("resources") or {}).get("limits") or {} for c in containers]
    return sum(int(str(lim.get(GPU, 0))) for lim in limits)


def _condition(deployment: JSON) -> str:
    """The condition the controller changed last: `Progressing=True NewReplicaSetAvailable`."""
    conditions = deployment.get("status", {}).get("conditions") or []
    if not conditions:
        return "no condition yet"
    last = max(
        conditions, key=lambda c: (c.get("lastUpdateTime", ""), c.get("type") == "Progressing")
    )
    reason = f" {last['reason']}" if last.get("reason") else ""
    return f"{last['type']}={last['status']}{reason}"


def _done(deployment: JSON) -> bool:
    """Rolled out as `kubectl rollout status` decides it: the controller has seen the latest
    spec, every replica is updated and available, and no old one is left."""
    spec, status = deployment["spec"], deployment.get("status", {})
    desired = spec.get("replicas", 1)
    updated = status.get("updatedReplicas", 0)
    return bool(
        status.get("observedGeneration", 0) >= deployment["metadata"].get("generation", 0)
        and updated == desired
        and status.get("replicas", 0) == updated
        and status.get("availableReplicas", 0) == updated
        and status.get("readyReplicas", 0) == desired
    )


def row(rendered: JSON, live: JSON | None) -> Row:
    """The row of one rendered Deployment, from its live twin (None: not in the cluster)."""
    labels = rendered["metadata"].get("labels") or {}
    predictor = labels.get(PREDICTOR, "-")
    node = labels.get(NODE) or labels.get(COMPONENT) or rendered["metadata"]["name"]
    shown = live if live is not None else rendered
    containers = shown["spec"]["template"]["spec"].get("containers", [])
    status = (live or {}).get("status", {})
    return Row(
        predictor=predictor,
        node=node,
        name=rendered["metadata"]["name"],
        found=live is not None,
        ready=status.get("readyReplicas", 0),
        desired=shown["spec"].get("replicas", 1),
        updated=status.get("updatedReplicas", 0),
        images=tuple(dict.fromkeys(c["image"] for c in containers)),
        gpus=_gpus(shown),
        condition=_condition(live) if live is not None else "not in the cluster",
        done=live is not None and _done(live),
    )


def table(rows: Sequence[Row]) -> str:
    """Rows in aligned columns under a header line."""
    lines = [HEADER, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )
