"""Our kind cluster: its config, and the node-status patch that fakes GPUs.

Three nodes: the control plane, a worker for everything, and a GPU worker carrying the GPU
taint and label a real GPU node pool has (so the GPU toleration the compiler writes is what lets
a pod land there). kind cannot advertise extended resources, so after creation the GPU worker's
status is patched with `nvidia.com/gpu` capacity (no device plugin; the containers get no GPU).
Both workers bind-mount one host directory at `MODELS_NODE_PATH`: the hostPath volume behind the
`infergraph-models` claim (see objects.py), so a pod on any node sees the same models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from infergraph.defaults import GPU_RESOURCE

__all__ = [
    "GPU_CAPACITY",
    "GPU_LABEL",
    "GPU_RESOURCE",
    "GPU_TAINT",
    "MODELS_NODE_PATH",
    "gpu_capacity_patch",
    "json_pointer",
    "kind_config",
]

GPU_CAPACITY = 1  # GPUs the GPU node has on either provider (tools/cluster/nodes.yaml too): one
# GPU is what makes maxSurge 1 stall a GPU rollout; the pending test asks for one more
GPU_LABEL = "infergraph.io/e2e-gpu"  # marks the GPU worker so the suite can find it
GPU_TAINT = {"key": GPU_RESOURCE, "value": "present", "effect": "NoSchedule"}
MODELS_NODE_PATH = "/infergraph-models"  # inside every kind node (a Docker container)


def _taint_patch() -> str:
    """A kubeadm patch registering the GPU worker with the GPU taint from its first moment."""
    patch = {"kind": "JoinConfiguration", "nodeRegistration": {"taints": [GPU_TAINT]}}
    return yaml.safe_dump(patch, sort_keys=False)


def kind_config(models_dir: Path) -> dict[str, Any]:
    """The kind Cluster config (v1alpha4); `models_dir` is the host directory holding models."""
    if not models_dir.is_absolute():
        raise ValueError(f"{models_dir}: kind extraMounts need an absolute host path")
    mount = {"hostPath": str(models_dir), "containerPath": MODELS_NODE_PATH}
    gpu_worker = {
        "role": "worker",
        "labels": {GPU_LABEL: "true"},
        "kubeadmConfigPatches": [_taint_patch()],
        "extraMounts": [mount],
    }
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "nodes": [
            {"role": "control-plane"},
            {"role": "worker", "extraMounts": [mount]},
            gpu_worker,
        ],
    }


def json_pointer(*tokens: str) -> str:
    """An RFC 6901 JSON Pointer: `~` and `/` inside a token are escaped as `~0` and `~1`."""
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def gpu_capacity_patch(count: int = GPU_CAPACITY) -> list[dict[str, Any]]:
    """JSON Patch for `kubectl patch node N --subresource=status --type=json`: `count` GPUs."""
    if count < 1:
        raise ValueError(f"GPU count {count}: must be at least 1")
    path = json_pointer("status", "capacity", GPU_RESOURCE)
    return [{"op": "add", "path": path, "value": str(count)}]
