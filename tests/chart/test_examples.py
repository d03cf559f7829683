"""Every example through the chart: lint-clean, and its objects mean what the graph says."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from infergraph.api import compile_values
from infergraph.helm_values import helm_values
from infergraph.loading import load
from infergraph.render_helm import CHART_DIR

from .render import find, helm

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
GPU = "nvidia.com/gpu"
JSON = Any


def _rendered(example: Path) -> tuple[JSON, list[JSON]]:
    """The compiled values and the golden objects (test_golden keeps those equal to a render)."""
    golden = ROOT / "tests" / "golden" / f"{example.stem}.yaml"
    objects = [o for o in yaml.safe_load_all(golden.read_text()) if o]
    return compile_values(load(example)), objects


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_helm_lint_strict_with_the_example_values(example: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        json.dump(helm_values(compile_values(load(example))), file)
        file.flush()
        done = helm("lint", "--strict", CHART_DIR, "--values", file.name)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_rendered_objects_follow_the_graph(example: Path) -> None:
    values, objects = _rendered(example)
    predictors = values["predictors"]
    deployments = {d["metadata"]["name"]: d for d in find(objects, "Deployment")}
    services = {s["metadata"]["name"]: s for s in find(objects, "Service")}

    # GPU limits where the graph asks for them and nowhere else.
    asked = {
        n["fullname"]: n["container"]["resources"]["limits"].get(GPU)
        for p in predictors.values()
        for n in p["nodes"].values()
    }
    for name, deployment in deployments.items():
        limits = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
        assert limits.get(GPU) == asked.get(name)

    # Route weights (VirtualService, or HTTPRoute and GRPCRoute) equal the main predictors'
    # traffic and add to 100; shadows mirror. One router per graph.
    mains = {n: p["traffic"] for n, p in predictors.items() if not p["shadow"] and p["traffic"]}
    shadows = [n for n, p in predictors.items() if p["shadow"]]
    if values["gatewayApi"]["enabled"]:
        assert find(objects, "VirtualService") == [] and find(objects, "DestinationRule") == []
        orchestrator = {p["orchestrator"]["fullname"]: n for n, p in predictors.items()}
        for kind in ("HTTPRoute", "GRPCRoute"):
            (route,) = find(objects, kind)
            (rule,) = route["spec"]["rules"]
            weights = {orchestrator[r["name"]]: r["weight"] for r in rule["backendRefs"]}
            assert weights == mains and sum(weights.values()) == 100, kind
            mirrored = [
                orchestrator[f["requestMirror"]["backendRef"]["name"]]
                for f in rule.get("filters", [])
                if f["type"] == "RequestMirror"
            ]
            assert mirrored == shadows, kind
    else:
        assert find(objects, "HTTPRoute") == [] and find(objects, "GRPCRoute") == []
        (vs,) = find(objects, "VirtualService")
        (route,) = vs["spec"]["http"]
        weights = {r["destination"]["subset"]: r["weight"] for r in route["route"]}
        assert weights == mains and sum(weights.values()) == 100
        assert [route["mirror"]["subset"]] == shadows if shadows else "mirror" not in route

    # Each node Service selects exactly its own node's pods.
    for p in predictors.values():
        for node in p["nodes"].values():
            selector = services[node["fullname"]]["spec"]["selector"].items()
            chosen = [
                name
                for name, d in deployments.items()
                if selector <= d["spec"]["template"]["metadata"]["labels"].items()
            ]
            assert chosen == [node["fullname"]]

    # The orchestrator's runtime graph names node Services that exist, on their http port.
    for p in predictors.values():
        (config,) = [
            c
            for c in find(objects, "ConfigMap")
            if c["metadata"]["name"] == f"{p['fullname']}-graph"
        ]
        stack = [json.loads(config["data"]["graph.json"])["root"]]
        while stack:
            node = stack.pop()
            ports = {sp["name"]: sp["port"] for sp in services[node["host"]]["spec"]["ports"]}
            assert ports["http"] == node["httpPort"]
            stack.extend(node["children"])
