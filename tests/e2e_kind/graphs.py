"""Graphs on the cluster: compile with the CLI, install with helm, find what is left after."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infergraph.render_helm import CHART_DIR

from .images import REPO
from .kube import Kube
from .objects import NAMESPACE
from .observe import graph_selectors, requests_served

__all__ = [
    "EXAMPLES",
    "INFERGRAPH",
    "Graph",
    "compile_graph",
    "helm_release",
    "leftovers",
    "leftovers_after",
    "served",
]

EXAMPLES = REPO / "examples"
INFERGRAPH = Path(sys.executable).parent / "infergraph"


@dataclass(frozen=True)
class Graph:
    """A compiled graph: its name, helm values and the file they were written to."""

    name: str
    values: dict[str, Any]
    values_file: Path

    @property
    def namespace(self) -> str:
        """Where the graph is installed: the namespace it names, else the suite's."""
        named: str | None = self.values["namespace"]
        return named or NAMESPACE

    @property
    def prefix(self) -> str:
        """The graph's path on the Istio gateway."""
        prefix: str = self.values["routing"]["prefix"]
        return prefix

    def predictors(self) -> dict[str, Any]:
        """The graph's predictors (helm's null placeholders left out)."""
        return {n: p for n, p in self.values["predictors"].items() if p is not None}

    def selector(self, workload: dict[str, Any]) -> str:
        """The label selector of a workload's pods."""
        return ",".join(f"{k}={v}" for k, v in sorted(workload["selectorLabels"].items()))

    @staticmethod
    def port(workload: dict[str, Any], name: str) -> int:
        """A workload's container port by name (http, grpc, metrics)."""
        ports = workload["container"]["ports"]
        number: int = next(p["containerPort"] for p in ports if p["name"] == name)
        return number


def compile_graph(kube: Kube, source: Path, workdir: Path) -> Graph:
    """`infergraph compile SOURCE --to values`, as a user runs it."""
    out = workdir / f"{source.stem}.values.yaml"
    kube.run(INFERGRAPH, "compile", source, "--to", "values", "-o", out)
    values = yaml.safe_load(out.read_text())
    return Graph(values["name"], values, out)


@contextmanager
def helm_release(kube: Kube, graph: Graph, *, wait: bool = True) -> Iterator[Graph]:
    """`helm install` the compiled values (waiting for every rollout); uninstall on exit.

    Each graph answers under its own prefix on the gateway (values `istio.prefix`).
    """
    args: list[str | Path] = ["install", graph.name, CHART_DIR, "-n", graph.namespace]
    args += ["-f", graph.values_file, "--timeout", "5m"]
    try:
        kube.helm(*args, *(["--wait"] if wait else []))  # a failed install is uninstalled too
        yield graph
    finally:
        kube.helm("uninstall", graph.name, "-n", graph.namespace, "--ignore-not-found", "--wait")


def leftovers(kube: Kube, graph: Graph) -> list[str]:
    """Every namespaced object (any kind) still carrying one of the graph's labels."""
    kinds = kube.kubectl("api-resources", "--verbs=list", "--namespaced", "-o", "name").stdout
    found: set[str] = set()
    for selector in graph_selectors(graph.values):
        args = ["get", ",".join(kinds.split()), "-n", graph.namespace, "-l", selector, "-o", "name"]
        found.update(kube.kubectl(*args, "--ignore-not-found").stdout.split())
    return sorted(found)


def leftovers_after(kube: Kube, graph: Graph, timeout: float = 120) -> list[str]:
    """`leftovers` once they are gone or `timeout` has passed (pods take a while to end)."""
    deadline = time.monotonic() + timeout
    while (left := leftovers(kube, graph)) and time.monotonic() < deadline:
        time.sleep(3)
    return left


def served(kube: Kube, graph: Graph, predictor: str) -> float:
    """Predictions one predictor's orchestrators answered 200 (their Prometheus counter)."""
    workload = graph.predictors()[predictor]["orchestrator"]
    port = next(
        p["containerPort"] for p in workload["container"]["ports"] if p["name"] == "metrics"
    )
    pods = kube.items("pods", graph.selector(workload))
    texts = (kube.metrics(pod["metadata"]["name"], port) for pod in pods)
    return sum(requests_served(text, "predictions") for text in texts)
