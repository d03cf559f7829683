"""The Istio mesh: a graph asking for Istio security puts every pod in it (the label Istio
injects on), keeps Istio from rewriting its scrape annotations, and leaves the metrics port out
of STRICT mutual TLS; a graph that does not ask stays out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from infergraph.compile import compile_values
from infergraph.compile.mesh import INJECT_LABEL, MERGE_METRICS_ANNOTATION
from infergraph.defaults import METRICS_PORT
from infergraph.loading import load
from infergraph.model import Graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _workloads(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Deployment's values by full name: orchestrators, nodes, detectors, the log sink."""
    found = [
        w for p in values["predictors"].values() for w in (p["orchestrator"], *p["nodes"].values())
    ]
    found += list(values["detectors"].values())
    if values["logSink"]:
        found.append(values["logSink"]["workload"])
    return {w["fullname"]: w for w in found}


def _secured(graph: Graph, *, peer: bool, principals: tuple[str, ...] | None) -> Graph:
    serving = replace(
        graph.serving, peer_authentication=peer, authorization_principals=principals, istio_cni=True
    )
    return replace(graph, serving=serving)


@pytest.mark.parametrize(
    ("peer", "principals"), [(True, None), (False, ("cluster.local/ns/a/sa/b",)), (True, ("p",))]
)
def test_istio_security_puts_every_pod_of_the_graph_in_the_mesh(
    peer: bool, principals: tuple[str, ...] | None
) -> None:
    # detectors.yaml has detectors and a log sink too: the PeerAuthentication selects them all
    graph = _secured(load(EXAMPLES / "detectors.yaml"), peer=peer, principals=principals)
    workloads = _workloads(compile_values(graph))
    assert len(workloads) > 2
    for name, w in workloads.items():
        assert w["podLabels"][INJECT_LABEL] == "true", name
        assert INJECT_LABEL not in w["labels"], name  # the pods', not the Deployment's
        assert w["podAnnotations"][MERGE_METRICS_ANNOTATION] == "false", name
        assert w["podAnnotations"]["prometheus.io/port"] == str(METRICS_PORT), name


def test_a_graph_without_istio_security_stays_out_of_the_mesh() -> None:
    values = compile_values(load(EXAMPLES / "detectors.yaml"))
    for name, w in _workloads(values).items():
        assert INJECT_LABEL not in w["podLabels"], name
        assert MERGE_METRICS_ANNOTATION not in w["podAnnotations"], name
    assert values["istio"]["portLevelMtls"] == {}


def test_strict_mtls_leaves_only_the_metrics_port_permissive() -> None:
    values = compile_values(load(EXAMPLES / "production.yaml"))
    assert values["istio"]["peerAuthentication"] is True
    assert values["istio"]["portLevelMtls"] == {str(METRICS_PORT): {"mode": "PERMISSIVE"}}
    graph = _secured(load(EXAMPLES / "production.yaml"), peer=False, principals=("p",))
    assert compile_values(graph)["istio"]["portLevelMtls"] == {}  # no PeerAuthentication
