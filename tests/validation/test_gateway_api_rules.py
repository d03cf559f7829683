"""`spec.gatewayApi`: each bad input gets its own message at its own pointer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infergraph.loading import load_text

from .docs import JSON, dump, native, problems

GW = "/spec/gatewayApi"
REF = {"name": "infergraph-gateway", "namespace": "gateway-system"}
HOSTNAME = "expected a hostname such as models.example.com or *.example.com"
ISTIO_ROUTING = (
    "configures the Istio VirtualService, which /spec/gatewayApi/enabled replaces; "
    "expected it left out (or gatewayApi.enabled false)"
)


def gateway(istio: JSON | None = None, **fields: JSON) -> JSON:
    spec: dict[str, JSON] = {"gatewayApi": {"enabled": True, "parentRefs": [REF], **fields}}
    if istio is not None:
        spec["istio"] = istio
    return native(**spec)


CASES: dict[str, tuple[Callable[[], JSON], list[str]]] = {
    "both routers enabled": (
        lambda: gateway(istio={"enabled": True}),
        [
            f"{GW}/enabled: true while /spec/istio/enabled is true too; expected one router "
            "per graph: set /spec/istio/enabled to false (or leave it out) to route with the "
            "Gateway API"
        ],
    ),
    "enabled without parentRefs": (
        lambda: native(gatewayApi={"enabled": True}),
        [
            f"{GW}/parentRefs: required field is missing; expected at least one Gateway "
            "({name, namespace}) for the routes to attach to, since enabled is true"
        ],
    ),
    "no parentRefs at all": (
        lambda: gateway(parentRefs=[]),
        [f"{GW}/parentRefs: has 0 items; expected at least 1"],
    ),
    "a parentRef without namespace": (
        lambda: gateway(parentRefs=[{"name": "gw"}]),
        [
            f"{GW}/parentRefs/0/namespace: required field is missing; expected a DNS-1123 "
            "label: lowercase letters, digits and '-', starting and ending with a letter or "
            "digit, at most 63 characters"
        ],
    ),
    "a parentRef field we do not write": (
        lambda: gateway(parentRefs=[{**REF, "port": 80}]),
        [
            f'{GW}/parentRefs/0/port: "port" is not a supported field; '
            "supported: name, namespace, sectionName"
        ],
    ),
    "a listener name that is not DNS-1123": (
        lambda: gateway(parentRefs=[{**REF, "sectionName": "HTTP"}]),
        [
            f'{GW}/parentRefs/0/sectionName: "HTTP" is not valid; expected a DNS-1123 '
            "subdomain: dot-separated DNS-1123 labels, at most 253 characters"
        ],
    ),
    "the same parent twice": (
        lambda: gateway(
            parentRefs=[{**REF, "sectionName": "http"}, {**REF, "sectionName": "http"}]
        ),
        [
            f"{GW}/parentRefs/1: the same parent as {GW}/parentRefs/0 "
            '("gateway-system/infergraph-gateway", section http); expected each Gateway '
            "listener once"
        ],
    ),
    "hostnames Istio takes but the Gateway API does not": (
        lambda: gateway(hostnames=["*", "Models.example.com"]),
        [
            f'{GW}/hostnames/0: "*" is not valid; {HOSTNAME}',
            f'{GW}/hostnames/1: "Models.example.com" is not valid; {HOSTNAME}',
        ],
    ),
    "a hostname twice": (
        lambda: gateway(hostnames=["a.example.com", "a.example.com"]),
        [f'{GW}/hostnames/1: "a.example.com" is listed twice; expected each hostname once'],
    ),
    "Istio routing fields under the Gateway API": (
        lambda: gateway(istio={"gateways": ["istio-system/gw"], "hosts": ["*"], "retries": 2}),
        [
            f"/spec/istio/gateways: {ISTIO_ROUTING}",
            f"/spec/istio/hosts: {ISTIO_ROUTING}",
            f"/spec/istio/retries: {ISTIO_ROUTING}",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule(case: str) -> None:
    make, expected = CASES[case]
    assert problems(make()) == expected


def test_gateway_api_turns_istio_routing_off_but_keeps_its_security() -> None:
    doc = gateway(
        istio={
            "peerAuthentication": True,
            "cni": True,
            "authorizationPolicy": {"principals": ["a/b"]},
        }
    )
    serving = load_text(dump(doc), "g.yaml").serving
    assert serving.gateway_api_enabled and not serving.istio_enabled
    assert serving.peer_authentication and serving.authorization_principals == ("a/b",)


def test_disabled_gateway_api_leaves_istio_on() -> None:
    serving = load_text(dump(native(gatewayApi={"enabled": False})), "g.yaml").serving
    assert serving.istio_enabled and not serving.gateway_api_enabled
