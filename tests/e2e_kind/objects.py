"""Kubernetes objects the suite applies besides the graphs: namespace, models, gateway, GPU hog.

Models (the way a user can copy): a PersistentVolumeClaim `infergraph-models` bound to a
hostPath PersistentVolume (the host directory kind mounts into every worker, kindconfig.py),
filled by a Job that runs `bench/train_iris.py` (from a ConfigMap) inside our server image, so
the pickles match the scikit-learn that loads them. On a real cluster, keep the claim and the
Job and let the claim use a ReadWriteMany storage class instead of the hostPath volume.
"""

from __future__ import annotations

from typing import Any

from infergraph.defaults import ISTIO_GATEWAYS

from .kindconfig import GPU_RESOURCE, GPU_TAINT, MODELS_NODE_PATH

__all__ = [
    "GATEWAY_RELEASE",
    "MODELS",
    "MODELS_CLAIM",
    "NAMESPACE",
    "TRAIN_JOB",
    "container_security",
    "gpu_hog_pod",
    "istio_gateway",
    "models_objects",
    "namespace",
    "pod_security",
]

NAMESPACE = "infergraph-e2e"
MODELS_CLAIM = "infergraph-models"  # examples say pvc://infergraph-models/<model>
MODELS = ("iris", "iris-v2", "iris-v3")
TRAIN_JOB = "infergraph-train-models"
GATEWAY_RELEASE = "istio-ingressgateway"  # the gateway chart labels its pods istio=ingressgateway


def pod_security() -> dict[str, Any]:
    """The restricted profile's pod half (the namespace enforces it)."""
    seccomp = {"type": "RuntimeDefault"}
    return {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "seccompProfile": seccomp}


def container_security() -> dict[str, Any]:
    """The restricted profile's container half."""
    drop = {"drop": ["ALL"]}
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": drop}


# Runs in the Job: train each model named on the command line into /models/<name>; umask 0 so
# the host user (not uid 1000) can delete the files the kind mount leaves behind.
_TRAIN = """\
import os, sys
from pathlib import Path
sys.path.insert(0, "/opt/train")
from train_iris import train
os.umask(0)
for model in sys.argv[1:]:
    print(train(Path("/models") / model), flush=True)
"""


def namespace(name: str = NAMESPACE) -> dict[str, Any]:
    """The suite's namespace (or a graph's own); the restricted Pod Security profile is enforced
    in it."""
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": labels},
    }


def _meta(name: str, space: str | None = NAMESPACE) -> dict[str, Any]:
    return {"name": name, "namespace": space} if space else {"name": name}


def models_objects(
    train_script: str, image: str, space: str = NAMESPACE, node_path: str = MODELS_NODE_PATH
) -> list[dict[str, Any]]:
    """ConfigMap (the training script), PersistentVolume, the claim, and the training Job, in
    the suite's namespace or `space` (the volume, cluster-wide, then carries its name too); the
    volume is the node's directory `node_path` (kind's mount, or the local real node's disk)."""
    volume = MODELS_CLAIM if space == NAMESPACE else f"{MODELS_CLAIM}-{space}"
    claim_spec = {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": "",
        "volumeName": volume,
        "resources": {"requests": {"storage": "1Gi"}},
    }
    volume_spec = {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": "",
        "capacity": {"storage": "1Gi"},
        "persistentVolumeReclaimPolicy": "Retain",
        "claimRef": {"namespace": space, "name": MODELS_CLAIM},
        "hostPath": {"path": node_path, "type": "Directory"},
    }
    container = {
        "name": "train",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["python3", "-c", _TRAIN, *MODELS],
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}],
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": "models", "mountPath": "/models"},
            {"name": "script", "mountPath": "/opt/train", "readOnly": True},
        ],
    }
    pod = {
        "restartPolicy": "Never",
        "securityContext": pod_security(),
        "containers": [container],
        "volumes": [
            {"name": "models", "persistentVolumeClaim": {"claimName": MODELS_CLAIM}},
            {"name": "script", "configMap": {"name": TRAIN_JOB}},
        ],
    }
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(TRAIN_JOB, space),
         "data": {"train_iris.py": train_script}},
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": _meta(volume, None),
         "spec": volume_spec},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
         "metadata": _meta(MODELS_CLAIM, space), "spec": claim_spec},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(TRAIN_JOB, space),
         "spec": {"backoffLimit": 0, "template": {"spec": pod}}},
    ]  # fmt: skip


def istio_gateway(ref: str = ISTIO_GATEWAYS[0]) -> dict[str, Any]:
    """The platform's Istio Gateway `ref` (namespace/name; by default the one compiled
    VirtualServices bind to): plain HTTP on port 80, every host."""
    gateway_namespace, name = ref.split("/")
    server = {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": gateway_namespace},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [server]},
    }


def gpu_hog_pod(name: str, image: str, gpus: int) -> dict[str, Any]:
    """A pod that tolerates the GPU taint and asks for `gpus` GPUs (to stay Pending)."""
    resources = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {GPU_RESOURCE: str(gpus)}}
    toleration = {"key": GPU_TAINT["key"], "operator": "Exists", "effect": GPU_TAINT["effect"]}
    container = {
        "name": "hog",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--help"],
        "resources": resources,
        "securityContext": container_security(),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta(name),
        "spec": {
            "restartPolicy": "Never",
            "securityContext": pod_security(),
            "tolerations": [toleration],
            "containers": [container],
        },
    }
