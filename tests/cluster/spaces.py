"""Namespaces graphs go into on the local cluster: the restricted Pod Security profile enforced,
and the `infergraph-models` claim the examples' `pvc://` URIs name, bound to a volume nothing
mounts (kwok runs no pods) so the pods that use it can be scheduled. The local cluster has no
volume provisioner (kind has local-path): a claim a graph renders itself, the log sink's, gets
a volume made for it here."""

from __future__ import annotations

from e2e_kind.graphs import Graph
from e2e_kind.kube import Kube
from e2e_kind.objects import MODELS_CLAIM, models_objects, namespace

__all__ = ["prepare", "volumes_for_claims"]

VOLUME_KINDS = ("PersistentVolume", "PersistentVolumeClaim")


def prepare(api: Kube, space: str) -> None:
    """Create (or keep) `space` with its models claim, and wait until the claim is bound."""
    claim = [o for o in models_objects("", "", space) if o["kind"] in VOLUME_KINDS]
    api.apply(namespace(space), *claim)
    api.kubectl("wait", "--for=jsonpath={.status.phase}=Bound", "-n", space,
                f"pvc/{MODELS_CLAIM}", "--timeout=120s")  # fmt: skip


def volumes_for_claims(api: Kube, graph: Graph) -> None:
    """A volume bound in advance to each claim `graph` renders without a storage class (the log
    sink's), as a provisioner would make one; claims of a named class are left to it. A volume
    an earlier run left Released (its claim uninstalled) is made anew."""
    claim = (graph.values.get("logSink") or {}).get("persistentVolumeClaim")
    if not claim or claim["storageClassName"]:
        return
    name = f"{claim['fullname']}-{graph.namespace}"
    api.kubectl("delete", "persistentvolume", name, "--ignore-not-found", "--wait=true")
    api.apply({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "accessModes": claim["accessModes"],
            "storageClassName": "",
            "capacity": {"storage": claim["storage"]},
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": graph.namespace, "name": claim["fullname"]},
            "hostPath": {"path": f"/var/lib/infergraph/{name}", "type": "DirectoryOrCreate"},
        },
    })  # fmt: skip
