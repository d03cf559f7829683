"""The pure plan behind `infergraph up` (no processes): ports, runtime graphs, gateway, models."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml

from infergraph.api import compile_values
from infergraph.errors import InvalidGraph
from infergraph.loading import load, load_text
from infergraph.local import local_model_path, plan_local

from .up import EXAMPLES


def test_shadow_plan_wires_loopback_ports_and_the_gateway() -> None:
    graph = load(EXAMPLES / "shadow.yaml")
    plan = plan_local(graph, compile_values(graph), 7000, "/run", "/work", "build/volumes")
    names = [p.name for p in plan.processes]
    assert names == [
        "node main/classifier",
        "node shadow/classifier",
        "orchestrator main",
        "orchestrator shadow",
        "gateway",
    ]
    ports = [p.port for p in plan.processes]
    assert len(set(ports)) == len(ports) and plan.processes[-1].port == 7000
    main_node = plan.processes[0]
    assert main_node.env["INFERGRAPH_MODEL_URI"] == "/work/build/volumes/infergraph-models/iris"
    runtime = json.loads(plan.files["main.graph.json"])
    assert (runtime["root"]["host"], runtime["root"]["httpPort"]) == ("127.0.0.1", main_node.port)
    gateway = json.loads(plan.files["gateway.json"])["predictors"]
    assert [(u["name"], u["traffic"], u["shadow"]) for u in gateway] == [
        ("main", 100, False),
        ("shadow", 0, True),
    ]
    assert "/run/gateway.json" in plan.processes[-1].args


def test_model_uris_map_to_local_paths() -> None:
    assert local_model_path("file:///m/iris", "/w", "v") == "/m/iris"
    assert local_model_path("file://build/m", "/w", "v") == "/w/build/m"
    assert local_model_path("models/iris", "/w", "v") == "/w/models/iris"
    assert local_model_path("pvc://claim/a/b", "/w", "/vols") == "/vols/claim/a/b"
    with pytest.raises(ValueError, match="storage initializer"):
        local_model_path("gs://bucket/iris", "/w", "v")


def test_a_node_that_cannot_run_locally_is_named() -> None:
    graph = load(EXAMPLES / "sklearn-single.yaml")
    predictor = graph.predictors[0]
    remote = replace(predictor, graph=replace(predictor.graph, model_uri="gs://bucket/iris"))
    graph = replace(graph, predictors=(remote,))
    with pytest.raises(InvalidGraph, match=r"/spec/predictors/0/graph/modelUri: \"gs://"):
        plan_local(graph, compile_values(graph), 7000, "/run", "/work", "v")


def test_the_local_gateway_reads_the_same_routing_under_istio_or_gateway_api() -> None:
    """Switching gatewayApi on for istio changes the cluster objects, not the local plan."""
    text = (EXAMPLES / "canary-gateway-api.yaml").read_text()
    gateway_api = load_text(text, "canary-gateway-api.yaml")
    istio_doc = yaml.safe_load(text)
    del istio_doc["spec"]["gatewayApi"]
    istio = load_text(yaml.safe_dump(istio_doc), "canary-gateway-api.yaml")
    plans = []
    for graph in (gateway_api, istio):
        values = compile_values(graph)
        plans.append(plan_local(graph, values, 7000, "/run", "/work", "v"))
    assert compile_values(gateway_api)["gatewayApi"]["enabled"]
    assert compile_values(istio)["istio"]["enabled"]
    assert plans[0] == plans[1]
    upstreams = json.loads(plans[0].files["gateway.json"])["predictors"]
    assert [(u["name"], u["traffic"], u["mirrorPercent"]) for u in upstreams] == [
        ("main", 75, None),
        ("canary", 25, None),
        ("shadow", 0, 50),
    ]
    gateway = plans[0].processes[-1].args
    assert gateway[gateway.index("--prefix") + 1] == "/infergraph/iris-gateway-api/"
