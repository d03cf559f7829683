"""Reading aggregated discovery: where each kind is served, at which preference."""

from __future__ import annotations

import pytest

from infergraph.cluster.discovery import resources_from
from infergraph.errors import ClusterError


def _resource(plural: str, kind: str, scope: str = "Namespaced") -> dict[str, object]:
    return {"resource": plural, "responseKind": {"kind": kind}, "scope": scope}


HPA = "HorizontalPodAutoscaler"
CORE = {
    "kind": "APIGroupDiscoveryList",
    "items": [{"metadata": {}, "versions": [{"version": "v1", "resources": [
        _resource("services", "Service"), _resource("services/status", "Service"),
        _resource("namespaces", "Namespace", "Cluster"),
    ]}]}],
}  # fmt: skip
GROUPS = {
    "kind": "APIGroupDiscoveryList",
    "items": [{"metadata": {"name": "autoscaling"}, "versions": [
        {"version": "v2", "resources": [_resource("horizontalpodautoscalers", HPA)]},
        {"version": "v1", "resources": [_resource("horizontalpodautoscalers", HPA)]},
    ]}],
}  # fmt: skip


def test_paths_scopes_and_preferred_versions() -> None:
    found = resources_from([CORE, GROUPS])
    service = found.find("v1", "Service")
    assert service.path("ns", "a") == "/api/v1/namespaces/ns/services/a"
    assert service.path("ns") == "/api/v1/namespaces/ns/services"
    assert found.find("v1", "Namespace").path("ignored", "x") == "/api/v1/namespaces/x"
    hpa = found.find("autoscaling/v1", "HorizontalPodAutoscaler")
    assert hpa.path("ns") == "/apis/autoscaling/v1/namespaces/ns/horizontalpodautoscalers"
    assert [r.api_version for r in found.preferred("HorizontalPodAutoscaler")] == ["autoscaling/v2"]
    assert found.preferred("VirtualService") == []


def test_an_unserved_kind_and_an_old_server_are_clear_errors() -> None:
    found = resources_from([CORE])
    with pytest.raises(ClusterError, match=r"not serve VirtualService networking\.istio\.io/v1"):
        found.find("networking.istio.io/v1", "VirtualService")
    with pytest.raises(ClusterError, match="aggregated discovery"):
        resources_from([{"kind": "APIVersions", "versions": ["v1"]}])
