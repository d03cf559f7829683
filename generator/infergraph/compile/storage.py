"""Model loading: where a node's `modelUri` comes from and how the pod gets it."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import defaults
from ..pointers import JSON
from .containers import container_security_context, merge_resources

__all__ = ["REMOTE_SCHEMES", "ModelStorage", "model_storage"]

#: Schemes the storage initializer downloads from into an emptyDir.
REMOTE_SCHEMES = ("gs", "s3", "https", "http")


@dataclass(frozen=True)
class ModelStorage:
    """What a node's pod needs for its model: the path the server reads, volumes, initializers."""

    path: str | None = None
    volumes: list[JSON] = field(default_factory=list)
    mounts: list[JSON] = field(default_factory=list)
    init_containers: list[JSON] = field(default_factory=list)


def model_storage(uri: str | None, env_secret_ref: str | None = None) -> ModelStorage:
    """How a pod gets the model (or reference data) at `uri`: pvc:// mounts the claim
    read-only; remote schemes use the storage initializer, with `env_secret_ref`'s keys as
    its environment; file:// and plain paths are taken as paths inside the image."""
    if uri is None:
        return ModelStorage()
    parts = urlsplit(uri)
    if parts.scheme == "pvc":
        mount = {"name": "model", "mountPath": defaults.PVC_MOUNT_PATH, "readOnly": True}
        claim = {"claimName": parts.netloc, "readOnly": True}
        return ModelStorage(
            path=defaults.PVC_MOUNT_PATH + parts.path,
            volumes=[{"name": "model", "persistentVolumeClaim": claim}],
            mounts=[mount],
        )
    if parts.scheme in REMOTE_SCHEMES:
        target = defaults.MODEL_MOUNT_PATH
        initializer: JSON = {
            "name": "storage-initializer",
            "image": defaults.STORAGE_INITIALIZER_IMAGE,
            "imagePullPolicy": defaults.IMAGE_PULL_POLICY,
            "args": [uri, target],
            "resources": merge_resources(defaults.STORAGE_INITIALIZER_RESOURCES, None),
            "securityContext": container_security_context(),
            "volumeMounts": [
                {"name": "model", "mountPath": target},
                {"name": "scratch", "mountPath": defaults.SCRATCH_MOUNT_PATH},
            ],
        }
        if env_secret_ref is not None:
            initializer["envFrom"] = [{"secretRef": {"name": env_secret_ref}}]
        return ModelStorage(
            path=target,
            volumes=[{"name": "model", "emptyDir": {}}],
            mounts=[{"name": "model", "mountPath": target, "readOnly": True}],
            init_containers=[initializer],
        )
    return ModelStorage(path=parts.path if parts.scheme == "file" else uri)
