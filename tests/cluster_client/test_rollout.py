"""`infergraph status` rows without a cluster: when a rollout is done, which condition shows,
GPUs and images, a Deployment the cluster lacks, the table, and `--wait`'s loop."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infergraph.cluster.rollout import GPU, row, table
from infergraph.cluster.status import POLL_SECONDS, wait


def _rendered(replicas: int = 2, gpus: int = 0) -> dict[str, Any]:
    limits = {GPU: gpus} if gpus else {}
    return {
        "kind": "Deployment",
        "metadata": {"name": "g-main-clf", "labels": {
            "infergraph.io/predictor": "main", "infergraph.io/node": "clf",
            "app.kubernetes.io/component": "node",
        }},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [
            {"name": "clf", "image": "img:1", "resources": {"limits": limits}},
            {"name": "side", "image": "img:1"},
        ]}}},
    }  # fmt: skip


def _live(generation: int = 2, observed: int = 2, **status: int) -> dict[str, Any]:
    live = copy.deepcopy(_rendered())
    live["metadata"]["generation"] = generation
    live["status"] = {
        "observedGeneration": observed, "replicas": 2, "updatedReplicas": 2,
        "readyReplicas": 2, "availableReplicas": 2,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
             "lastUpdateTime": "2026-01-01T00:00:05Z"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "lastUpdateTime": "2026-01-01T00:00:09Z"},
        ],
    } | status  # fmt: skip
    return live


def test_a_finished_rollout_is_done_with_its_last_condition() -> None:
    found = row(_rendered(), _live())
    assert found.done and found.found
    assert found.cells() == (
        "main", "clf", "2/2", "2", "img:1", "0", "Progressing=True NewReplicaSetAvailable",
    )  # fmt: skip


@pytest.mark.parametrize(
    "live",
    [
        _live(generation=3, observed=2),  # the controller has not seen the new spec yet
        _live(updatedReplicas=1),  # one pod still of the old template
        _live(replicas=3),  # an old pod not yet gone
        _live(availableReplicas=1),
        _live(readyReplicas=1),
    ],
)
def test_any_unfinished_part_keeps_the_rollout_pending(live: dict[str, Any]) -> None:
    assert not row(_rendered(), live).done


def test_gpus_per_pod_and_the_orchestrator_named_by_component() -> None:
    assert row(_rendered(gpus=1), None).gpus == 1
    orchestrator = _rendered()
    del orchestrator["metadata"]["labels"]["infergraph.io/node"]
    orchestrator["metadata"]["labels"]["app.kubernetes.io/component"] = "orchestrator"
    assert row(orchestrator, _live()).node == "orchestrator"


def test_a_deployment_the_cluster_lacks_is_not_done() -> None:
    found = row(_rendered(replicas=3), None)
    assert not found.done and not found.found
    assert found.cells()[2:] == ("0/3", "0", "img:1", "0", "not in the cluster")
    stalled = _live(readyReplicas=0)
    stalled["status"]["conditions"] = []
    assert row(_rendered(), stalled).condition == "no condition yet"


def test_table_aligns_columns_under_the_header() -> None:
    lines = table([row(_rendered(), _live()), row(_rendered(replicas=10), None)]).splitlines()
    assert lines[0].split() == ["PREDICTOR", "NODE", "READY", "UP-TO-DATE", "IMAGE", "GPUS",
                                "ROLLOUT"]  # fmt: skip
    starts = {line.index("img:1") for line in lines[1:]}
    assert len(starts) == 1 and lines[0].index("IMAGE") in starts


class _Clock:
    """A clock that `sleep` advances: `wait` without real time passing."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_wait_reads_until_done_and_gives_up_at_the_timeout() -> None:
    reads = [row(_rendered(), _live(readyReplicas=1))] * 2 + [row(_rendered(), _live())]
    clock = _Clock()
    answers = iter([[r] for r in reads])
    done = wait(lambda: next(answers), 60, lambda: clock.now, clock.sleep)
    assert done[0].done and clock.slept == [POLL_SECONDS, POLL_SECONDS]

    clock = _Clock()
    pending = [row(_rendered(), _live(readyReplicas=1))]
    left = wait(lambda: pending, 5, lambda: clock.now, clock.sleep)
    assert not left[0].done and clock.now == 5 and clock.slept[-1] == 1.0
