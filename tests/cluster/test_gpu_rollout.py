"""The GPU rollout the compiler's strategy exists for, decided by the real scheduler and
Deployment controller on a node with exactly one `nvidia.com/gpu`: with the compiled
`maxSurge: 0` a rollout completes (the old pod gives its GPU back first); with `maxSurge: 1` the
surge pod cannot be placed and the rollout stalls (the Seldon deadlock)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from e2e_kind.graphs import EXAMPLES, compile_graph, helm_release
from e2e_kind.kindconfig import GPU_RESOURCE
from e2e_kind.kube import CommandFailed, Kube
from e2e_kind.objects import NAMESPACE
from e2e_kind.observe import unschedulable_message

pytestmark = pytest.mark.cluster
STALL_SECONDS = 60  # how long the maxSurge 1 rollout is given (it can never finish)


def _gpu_deployment(api: Kube, instance: str) -> dict[str, Any]:
    out = api.kubectl("get", "deployments", "-n", NAMESPACE, "-l",
                      f"app.kubernetes.io/instance={instance}", "-o", "json")  # fmt: skip
    found: list[dict[str, Any]] = [
        d for d in json.loads(out.stdout)["items"]
        if GPU_RESOURCE in d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    ]  # fmt: skip
    assert len(found) == 1, [d["metadata"]["name"] for d in found]
    return found[0]


def _pods(api: Kube, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    labels = deployment["spec"]["selector"]["matchLabels"]
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return api.items("pods", selector)


def _rollout(api: Kube, name: str, timeout: int) -> bool:
    """Restart the Deployment's pods; True when the rollout finished within `timeout` seconds."""
    time.sleep(1)  # kubectl refuses a restart within a second of the last (kwok rolls that fast)
    api.kubectl("rollout", "restart", f"deployment/{name}", "-n", NAMESPACE)
    try:
        api.kubectl("rollout", "status", f"deployment/{name}", "-n", NAMESPACE,
                    f"--timeout={timeout}s")  # fmt: skip
    except CommandFailed:
        return False
    return True


def test_max_surge_0_rolls_on_one_gpu_and_max_surge_1_stalls(
    cluster: Kube, gpu_node: str, tmp_path: Path
) -> None:
    graph = compile_graph(cluster, EXAMPLES / "gpu-model.yaml", tmp_path)
    with helm_release(cluster, graph):
        deployment = _gpu_deployment(cluster, graph.name)
        name = deployment["metadata"]["name"]
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
        assert [p["spec"]["nodeName"] for p in _pods(cluster, deployment)] == [gpu_node]

        assert _rollout(cluster, name, timeout=300), f"{name}: maxSurge 0 rollout did not finish"

        surge = {"spec": {"strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}}}
        cluster.kubectl("patch", f"deployment/{name}", "-n", NAMESPACE, "-p", json.dumps(surge))
        assert not _rollout(cluster, name, timeout=STALL_SECONDS), f"{name}: maxSurge 1 rolled"
        pods = _pods(cluster, deployment)
        waiting = [m for p in pods if (m := unschedulable_message(p))]
        assert len(pods) == 2 and len(waiting) == 1, [p["status"] for p in pods]
        assert f"Insufficient {GPU_RESOURCE}" in waiting[0]
