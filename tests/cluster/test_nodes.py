"""The local cluster's kwok nodes are kind's nodes: same GPU taint, label and GPU count."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from e2e_kind.kindconfig import GPU_CAPACITY, GPU_LABEL, GPU_RESOURCE, GPU_TAINT
from e2e_kind.kube import wait_for

from .local import TOOLS, Local

NODES = TOOLS / "nodes.yaml"


def _nodes() -> dict[str, Any]:
    return {n["metadata"]["name"]: n for n in yaml.safe_load_all(NODES.read_text())}


def test_gpu_node_carries_kinds_taint_label_and_gpu_count() -> None:
    gpu = _nodes()["kwok-gpu"]
    assert gpu["spec"]["taints"] == [GPU_TAINT]
    assert gpu["metadata"]["labels"][GPU_LABEL] == "true"
    assert gpu["status"]["capacity"][GPU_RESOURCE] == str(GPU_CAPACITY)
    assert gpu["status"]["allocatable"][GPU_RESOURCE] == str(GPU_CAPACITY)


def test_cpu_node_has_no_gpu_and_no_taint() -> None:
    cpu = _nodes()["kwok-cpu"]
    assert "taints" not in cpu["spec"]
    assert GPU_RESOURCE not in cpu["status"]["capacity"]


@pytest.mark.cluster
def test_live_gpu_node_keeps_its_gpu_taint_and_is_ready(local_cluster: Local) -> None:
    node = local_cluster.get("node", "kwok-gpu", namespace=None)
    assert node["status"]["allocatable"][GPU_RESOURCE] == str(GPU_CAPACITY)
    assert GPU_TAINT in node["spec"]["taints"]
    ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
    assert ready == "True"


def _lease(api: Local, node: str) -> dict[str, Any]:
    spec: dict[str, Any] = api.get("lease", node, namespace="kube-node-lease")["spec"]
    return spec


@pytest.mark.cluster
def test_live_nodes_renew_their_leases_as_a_kubelet_does(local_cluster: Local) -> None:
    """kwok heartbeats through node Leases (40 s, renewed every 10 s): without them nodes flap
    NotReady under load, their pods lose Ready, and `helm install --wait` never returns."""
    for node in ("kwok-cpu", "kwok-gpu"):
        first = _lease(local_cluster, node)
        assert first["leaseDurationSeconds"] == 40

        def renewed(node: str = node, before: str = first["renewTime"]) -> dict[str, Any] | None:
            now = _lease(local_cluster, node)
            return now if now["renewTime"] != before else None

        assert wait_for(f"{node}'s lease renewed", renewed, timeout=30)["holderIdentity"]
