"""Objects as a reader compares them: what the API server sets on its own (bookkeeping,
status, allocated addresses) left out, so a diff shows only what an apply changes."""

from __future__ import annotations

import copy

from ..pointers import JSON

__all__ = ["HOOK", "identity", "is_hook", "normalize", "owned_by_controller"]

#: metadata the API server writes on every object
SERVER_METADATA = (
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "generation",
    "managedFields",
    "resourceVersion",
    "selfLink",
    "uid",
)
#: annotations controllers and kubectl write, never the chart
SERVER_ANNOTATIONS = (
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
)
#: per kind, spec fields the API server allocates
SERVER_SPEC = {"Service": ("clusterIP", "clusterIPs"), "PersistentVolumeClaim": ("volumeName",)}
#: helm's hook annotation: hooks (the `helm test` Pod) are not part of an install or upgrade
HOOK = "helm.sh/hook"


def normalize(obj: JSON) -> JSON:
    """A copy of `obj` without server-set fields (empty maps left behind are dropped too)."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    metadata = out.get("metadata", {})
    for key in SERVER_METADATA:
        metadata.pop(key, None)
    annotations = metadata.get("annotations", {})
    for key in SERVER_ANNOTATIONS:
        annotations.pop(key, None)
    if "annotations" in metadata and not annotations:
        del metadata["annotations"]
    spec = out.get("spec")
    if isinstance(spec, dict):
        for key in SERVER_SPEC.get(out.get("kind", ""), ()):
            spec.pop(key, None)
    return out


def is_hook(obj: JSON) -> bool:
    """A helm hook: rendered by `helm template`, but not installed by `helm upgrade`."""
    return HOOK in (obj.get("metadata", {}).get("annotations") or {})


def owned_by_controller(obj: JSON) -> bool:
    """Made by a controller (a Deployment's ReplicaSets and Pods), not by an apply."""
    return bool(obj.get("metadata", {}).get("ownerReferences"))


def identity(obj: JSON, namespace: str) -> tuple[str, str, str, str]:
    """(apiVersion group, kind, namespace, name): one object, whichever version shows it."""
    group = obj["apiVersion"].rpartition("/")[0]
    where = obj.get("metadata", {}).get("namespace") or namespace
    return group, obj["kind"], where, obj["metadata"]["name"]
