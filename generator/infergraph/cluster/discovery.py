"""Which kinds the API server serves, where, and whether they are namespaced: two requests of
aggregated discovery (`/api` and `/apis`, Kubernetes >= 1.27) rather than one per group."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ClusterError
from ..pointers import JSON
from .connect import Connection

__all__ = ["Resource", "Resources", "discover", "resources_from"]

#: aggregated discovery, v2 (GA in 1.30) or v2beta1 (1.27-1.29)
ACCEPT = ",".join(
    f"application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"
    for v in ("v2", "v2beta1")
)


@dataclass(frozen=True)
class Resource:
    """One kind at one group version: its REST path and scope."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """`/api/v1/namespaces/NS/services/NAME` and the like (a collection without `name`)."""
        root = "/api/" if "/" not in self.api_version else "/apis/"
        scope = f"/namespaces/{namespace}" if self.namespaced and namespace else ""
        tail = f"/{name}" if name else ""
        return f"{root}{self.api_version}{scope}/{self.plural}{tail}"


class Resources:
    """The kinds a server serves: exactly by (apiVersion, kind), or by kind in each group's
    preferred version."""

    def __init__(self, served: dict[tuple[str, str], Resource], preferred: list[Resource]):
        self._served = served
        self._preferred = preferred

    def find(self, api_version: str, kind: str) -> Resource:
        found = self._served.get((api_version, kind))
        if found is None:
            raise ClusterError(
                f"the API server does not serve {kind} {api_version}; is its CRD installed?"
            )
        return found

    def preferred(self, kind: str) -> list[Resource]:
        """`kind` in the preferred version of every group that has it."""
        return [r for r in self._preferred if r.kind == kind]


def resources_from(documents: list[JSON]) -> Resources:
    """Read APIGroupDiscoveryList documents (versions listed most preferred first)."""
    served: dict[tuple[str, str], Resource] = {}
    preferred: list[Resource] = []
    for document in documents:
        if document.get("kind") != "APIGroupDiscoveryList":
            raise ClusterError("the API server lacks aggregated discovery (Kubernetes >= 1.27)")
        for group in document.get("items", []):
            name = group.get("metadata", {}).get("name", "")
            for rank, version in enumerate(group.get("versions", [])):
                api_version = f"{name}/{version['version']}" if name else version["version"]
                for entry in version.get("resources", []):
                    kind = entry.get("responseKind", {}).get("kind")
                    if not kind or "/" in entry["resource"]:  # subresources live elsewhere
                        continue
                    resource = Resource(
                        api_version, kind, entry["resource"], entry.get("scope") == "Namespaced"
                    )
                    served[(api_version, kind)] = resource
                    if rank == 0:
                        preferred.append(resource)
    return Resources(served, preferred)


def discover(connection: Connection) -> Resources:
    """Everything the server behind `connection` serves."""
    return resources_from(
        [connection.request("GET", root, accept=ACCEPT) for root in ("/api", "/apis")]
    )
