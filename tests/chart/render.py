"""render_chart: the real helm binary on charts/infergraph, parsed, for the chart's knob tests."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from infergraph.compile import compile_values
from infergraph.helm_values import helm_values
from infergraph.model import Graph, Node, Predictor
from infergraph.render_helm import CHART_DIR, helm_executable

__all__ = [
    "CHART_DIR",
    "DEFAULTS",
    "HPA",
    "JSON",
    "KEDA",
    "HelmFailed",
    "compile_graph",
    "find",
    "helm",
    "model",
    "notes",
    "predictor",
    "render_chart",
]

JSON = Any
DEFAULTS: JSON = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
_CPU = {"type": "Utilization", "averageUtilization": 70}
#: compiled `autoscaling` values of each form, for `--set` (every knob on)
HPA: JSON = {
    "hpa": {
        "minReplicas": 1,
        "maxReplicas": 2,
        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": _CPU}}],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
    }
}
KEDA: JSON = {
    "keda": {
        "minReplicaCount": 0,
        "maxReplicaCount": 3,
        "pollingInterval": 30,
        "cooldownPeriod": 300,
        "triggers": [
            {
                "type": "prometheus",
                "metadata": {"serverAddress": "http://p:9090", "query": "up", "threshold": "1"},
                "authenticationRef": {"name": "iris-main-classifier-trigger-0"},
            }
        ],
        "triggerAuthentications": {
            "iris-main-classifier-trigger-0": {
                "secretTargetRef": [{"parameter": "bearerToken", "name": "p", "key": "token"}]
            }
        },
    }
}


class HelmFailed(RuntimeError):
    """helm exited non-zero; the message is its stderr."""


def helm(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm_executable(), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def render_chart(
    values: JSON | None = None,
    set: Mapping[str, JSON] | None = None,
    namespace: str = "default",
) -> list[JSON]:
    """Objects of `helm template` with full `values` (else the defaults) and `--set-json` pairs."""
    args: list[str | Path] = ["template", "g", CHART_DIR, "--namespace", namespace]
    for path, value in (set or {}).items():
        args += ["--set-json", f"{path}={json.dumps(value)}"]
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        if values is not None:
            json.dump(helm_values(values), file)
            file.flush()
            args += ["--values", file.name]
        result = helm(*args)
    if result.returncode != 0:
        raise HelmFailed(result.stderr)
    return [obj for obj in yaml.safe_load_all(result.stdout) if obj]


def notes(values: JSON, namespace: str = "models") -> str:
    """NOTES.txt as `helm install` prints it (`helm template` leaves NOTES out): a client-side
    dry run with the compiled `values`, released under the graph's name."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as file:
        json.dump(helm_values(values), file)
        file.flush()
        result = helm(
            "install",
            values["name"],
            CHART_DIR,
            "--values",
            file.name,
            "--namespace",
            namespace,
            "--dry-run=client",
        )
    if result.returncode != 0:
        raise HelmFailed(result.stderr)
    return result.stdout.partition("\nNOTES:\n")[2]


def find(objects: Iterable[JSON], kind: str, name: str | None = None) -> list[JSON]:
    """Objects of one kind (and name), in output order."""
    return [
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]


def model(name: str = "classifier", **kw: Any) -> Node:
    return Node(name=name, type="MODEL", pointer="/n", implementation="SKLEARN_SERVER", **kw)


def predictor(name: str = "main", graph: Node | None = None, **kw: Any) -> Predictor:
    return Predictor(name=name, graph=graph or model(), pointer="/p", **kw)


def compile_graph(*predictors: Predictor, **kw: Any) -> JSON:
    """Compiled values of a graph named iris (the lead's compiler, no loader needed)."""
    return compile_values(Graph(name="iris", source="t.yaml", predictors=predictors, **kw))
