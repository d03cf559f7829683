"""The kind tier's GPU capacity patch (`advertise_gpus`) on the local cluster's GPU node: the
real API server takes it through the status subresource, and kwok, which is no kubelet, leaves
`allocatable` as the node declares it; whether the patch reaches `allocatable` is answered by
the real node's kubelet (CLUSTER_NODE=real; tests/e2e_kind/README.md, "Answers")."""

from __future__ import annotations

import json

import pytest
from e2e_kind.kindconfig import GPU_CAPACITY, GPU_RESOURCE, gpu_capacity_patch, json_pointer
from e2e_kind.kube import wait_for

from .local import Local
from .provider import NO_REAL_NODE
from .realnode import real_nodes

GPU_NODE = "kwok-gpu"  # tools/cluster/nodes.yaml


@pytest.mark.cluster
def test_gpu_capacity_patch_reaches_capacity_and_kwok_leaves_allocatable(
    local_cluster: Local,
) -> None:
    before = local_cluster.get("node", GPU_NODE, namespace=None)["status"]
    declared = int(before["capacity"][GPU_RESOURCE])
    patch = ("patch", "node", GPU_NODE, "--subresource=status", "--type=json", "-p")
    try:  # one GPU more than declared: the kind tier patches its node the same way
        local_cluster.kubectl(*patch, json.dumps(gpu_capacity_patch(declared + 1)))
        after = local_cluster.get("node", GPU_NODE, namespace=None)["status"]
        assert after["capacity"][GPU_RESOURCE] == str(declared + 1)
        assert after["allocatable"][GPU_RESOURCE] == before["allocatable"][GPU_RESOURCE]
    finally:  # the GPU rollout tests need the node's one GPU back
        local_cluster.kubectl(*patch, json.dumps(gpu_capacity_patch(declared)))


@pytest.mark.cluster
def test_on_a_real_kubelet_the_capacity_patch_reaches_allocatable(api: Local) -> None:
    """The kind tier's question answered by a kubelet built from the pinned source: the real
    first node (no device plugin) patched as kind's GPU worker is, then the GPUs taken away."""
    nodes = real_nodes(api)
    if nodes is None:
        pytest.skip(NO_REAL_NODE)
    name = nodes.cpu.name
    patch = ("patch", "node", name, "--subresource=status", "--type=json", "-p")
    path = json_pointer("status", "capacity", GPU_RESOURCE)

    def allocatable() -> str | None:
        found: dict[str, str] = api.get("node", name, namespace=None)["status"]["allocatable"]
        return found.get(GPU_RESOURCE)

    assert allocatable() is None
    try:
        api.kubectl(*patch, json.dumps(gpu_capacity_patch()))
        # the kubelet's next status update (every 10 s) derives allocatable from capacity
        got = wait_for(f"{GPU_RESOURCE} allocatable on {name}", allocatable, timeout=60)
        assert got == str(GPU_CAPACITY)
    finally:
        api.kubectl(*patch, json.dumps([{"op": "remove", "path": path}]))
    wait_for(f"{GPU_RESOURCE} gone from {name}'s allocatable",
             lambda: None if allocatable() else True, timeout=60)  # fmt: skip
