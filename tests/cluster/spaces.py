"""Namespaces graphs go into on the local cluster: the restricted Pod Security profile enforced,
and the `infergraph-models` claim the examples' `pvc://` URIs name, bound to a volume nothing
mounts (kwok runs no pods) so the pods that use it can be scheduled."""

from __future__ import annotations

from e2e_kind.kube import Kube
from e2e_kind.objects import MODELS_CLAIM, models_objects, namespace

__all__ = ["prepare"]

VOLUME_KINDS = ("PersistentVolume", "PersistentVolumeClaim")


def prepare(api: Kube, space: str) -> None:
    """Create (or keep) `space` with its models claim, and wait until the claim is bound."""
    claim = [o for o in models_objects("", "", space) if o["kind"] in VOLUME_KINDS]
    api.apply(namespace(space), *claim)
    api.kubectl("wait", "--for=jsonpath={.status.phase}=Bound", "-n", space,
                f"pvc/{MODELS_CLAIM}", "--timeout=120s")  # fmt: skip
