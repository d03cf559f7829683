"""The kind tier's GPU capacity patch (`advertise_gpus`) on the local cluster's GPU node: the
real API server takes it through the status subresource, and kwok, which is no kubelet, leaves
`allocatable` as the node declares it, so whether the patch reaches `allocatable` is answered
from the kubelet's source instead (tests/e2e_kind/README.md, "Answers")."""

from __future__ import annotations

import json

import pytest
from e2e_kind.kindconfig import GPU_RESOURCE, gpu_capacity_patch

from .local import Local

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
