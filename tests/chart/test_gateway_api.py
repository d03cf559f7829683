"""Gateway API knobs of the chart: off by default; on, the routes carry what the values say."""

from __future__ import annotations

import pytest

from infergraph.model import ParentRef, Serving

from .render import JSON, HelmFailed, compile_graph, find, predictor, render_chart

ROUTES = ("HTTPRoute", "GRPCRoute")


def _gateway_api(*refs: ParentRef, **serving: object) -> Serving:
    return Serving(
        istio_enabled=False, gateway_api_enabled=True, gateway_parent_refs=refs, **serving
    )


def test_routes_are_off_by_default_and_istio_is_on() -> None:
    objects = render_chart()
    for kind in ROUTES:
        assert find(objects, kind) == [], kind
    assert find(objects, "VirtualService")


def test_routes_by_set_without_shadow_hostnames_or_timeout() -> None:
    refs = [{"name": "gw", "namespace": "edge", "sectionName": None}]
    objects = render_chart(
        set={"gatewayApi.enabled": True, "gatewayApi.parentRefs": refs, "istio.enabled": False}
    )
    assert find(objects, "VirtualService") == [] and find(objects, "DestinationRule") == []
    (http,) = find(objects, "HTTPRoute")
    (grpc,) = find(objects, "GRPCRoute")
    for route in (http, grpc):
        assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
        assert route["spec"]["parentRefs"] == [{"name": "gw", "namespace": "edge"}]
        assert "hostnames" not in route["spec"]
    (rule,) = http["spec"]["rules"]
    assert [f["type"] for f in rule["filters"]] == ["URLRewrite"]
    assert "timeouts" not in rule
    (rule,) = grpc["spec"]["rules"]
    assert "filters" not in rule
    assert rule["matches"] == [{"headers": [{"name": "seldon", "value": "iris"}]}]
    assert rule["backendRefs"] == [{"name": "iris-main", "port": 9500, "weight": 100}]


def test_weights_mirror_timeout_and_gateway_namespaces() -> None:
    values = compile_graph(
        predictor("a", traffic=70),
        predictor("b", traffic=30),
        predictor("s", shadow=True),
        serving=_gateway_api(
            ParentRef("gw", "edge", "https"),
            ParentRef("gw", "zone-b"),
            gateway_hostnames=("models.example.com",),
            rest_timeout_ms=120_000,
            network_policy=True,
        ),
    )
    objects = render_chart(values)
    (http,) = find(objects, "HTTPRoute")
    (rule,) = http["spec"]["rules"]
    assert http["spec"]["hostnames"] == ["models.example.com"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/infergraph/iris/"}}]
    assert rule["filters"] == [
        {
            "type": "URLRewrite",
            "urlRewrite": {"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}},
        },
        {
            "type": "RequestMirror",
            "requestMirror": {"backendRef": {"name": "iris-s", "port": 9000}, "percent": 100},
        },
    ]
    assert rule["backendRefs"] == [
        {"name": "iris-a", "port": 9000, "weight": 70},
        {"name": "iris-b", "port": 9000, "weight": 30},
    ]
    assert rule["timeouts"] == {"request": "2m"}
    (grpc,) = find(objects, "GRPCRoute")
    (rule,) = grpc["spec"]["rules"]
    assert [r["weight"] for r in rule["backendRefs"]] == [70, 30]
    assert rule["filters"][0]["requestMirror"]["backendRef"] == {"name": "iris-s", "port": 9500}
    (policy,) = find(objects, "NetworkPolicy", "iris-a")
    sources = policy["spec"]["ingress"][0]["from"]
    assert [s["namespaceSelector"]["matchLabels"] for s in sources[:2]] == [
        {"kubernetes.io/metadata.name": "edge"},
        {"kubernetes.io/metadata.name": "zone-b"},
    ]
    assert "namespaceSelector" not in sources[2]


def test_values_schema_refuses_a_route_timeout_the_gateway_api_refuses() -> None:
    values: JSON = compile_graph(predictor(), serving=_gateway_api(ParentRef("gw", "edge")))
    values["gatewayApi"]["timeouts"] = {"request": "100000ms"}
    with pytest.raises(HelmFailed, match="gatewayApi"):
        render_chart(values)
