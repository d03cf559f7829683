"""Compiled Gateway API values: parents, hostnames, timeouts, the gateway namespaces."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from infergraph.compile import compile_values
from infergraph.compile.traffic import gateway_api_duration
from infergraph.loading import load
from infergraph.model import ParentRef

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: the Duration pattern of the Gateway API CRDs (GEP-2257)
GATEWAY_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}


def test_example_compiles_to_gateway_api_values() -> None:
    values = compile_values(load(EXAMPLES / "canary-gateway-api.yaml"))
    assert values["istio"]["enabled"] is False
    assert values["routing"] == {"prefix": "/infergraph/iris-gateway-api/"}
    assert values["gatewayApi"] == {
        "enabled": True,
        "parentRefs": [
            {"name": "infergraph-gateway", "namespace": "gateway-system", "sectionName": "http"}
        ],
        "hostnames": ["models.example.com"],
        "timeouts": {"request": "5s"},
        "grpcHeaders": [{"name": "seldon", "value": "iris-gateway-api"}],
    }
    assert values["networkPolicy"]["gatewayNamespaces"] == ["gateway-system"]
    weights = {p: (v["traffic"], v["mirrorPercent"]) for p, v in values["predictors"].items()}
    assert weights == {"main": (75, None), "canary": (25, None), "shadow": (0, 50)}


def test_istio_graphs_admit_istio_system_and_leave_gateway_api_off() -> None:
    values = compile_values(load(EXAMPLES / "canary-75-25.yaml"))
    assert values["gatewayApi"]["enabled"] is False
    assert values["istio"]["enabled"] is True
    assert values["networkPolicy"]["gatewayNamespaces"] == ["istio-system"]


def test_gateway_namespaces_are_the_parents_once_each_sorted() -> None:
    graph = load(EXAMPLES / "canary-gateway-api.yaml")
    refs = (ParentRef("b", "zone-b"), ParentRef("a", "zone-a", "https"), ParentRef("c", "zone-b"))
    graph = replace(graph, serving=replace(graph.serving, gateway_parent_refs=refs))
    values = compile_values(graph)
    assert values["networkPolicy"]["gatewayNamespaces"] == ["zone-a", "zone-b"]
    assert values["gatewayApi"]["parentRefs"][0] == {
        "name": "b",
        "namespace": "zone-b",
        "sectionName": None,
    }


def test_no_rest_timeout_means_no_route_timeouts() -> None:
    graph = load(EXAMPLES / "canary-gateway-api.yaml")
    graph = replace(graph, serving=replace(graph.serving, rest_timeout_ms=None))
    assert compile_values(graph)["gatewayApi"]["timeouts"] is None


def test_durations_use_the_largest_units() -> None:
    assert gateway_api_duration(5000) == "5s"
    assert gateway_api_duration(100_000) == "1m40s"  # "100000ms" breaks the 5-digit limit
    assert gateway_api_duration(3_723_004) == "1h2m3s4ms"
    assert gateway_api_duration(250) == "250ms"


@given(st.integers(min_value=1, max_value=99_999 * 3_600_000))
def test_durations_are_valid_gateway_api_durations_of_the_same_length(ms: int) -> None:
    text = gateway_api_duration(ms)
    assert GATEWAY_DURATION.match(text), text
    parts = re.findall(r"([0-9]+)(ms|h|m|s)", text)
    assert sum(int(count) * UNIT_MS[unit] for count, unit in parts) == ms
