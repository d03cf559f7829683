"""The Python API behind the CLI: compile runtime documents, render (`load` is in `loading`)."""

from __future__ import annotations

from .compile import compile_runtime, compile_values
from .errors import UnknownPredictor
from .model import Graph
from .pointers import JSON
from .render import Engine, render_values

__all__ = ["compile_runtime_document", "compile_values", "render"]


def compile_runtime_document(graph: Graph, predictor: str | None = None) -> JSON:
    """Every predictor's runtime graph keyed by name, or just the one asked for (else
    UnknownPredictor)."""
    runtimes = compile_runtime(graph)
    if predictor is None:
        return runtimes
    if predictor not in runtimes:
        choices = ", ".join(f'"{name}"' for name in runtimes)
        raise UnknownPredictor(f'"{predictor}" is not a predictor; predictors: {choices}')
    return runtimes[predictor]


def render(graph: Graph, engine: Engine = "helm", namespace: str = "default") -> list[JSON]:
    """The Kubernetes objects of a graph, sorted by kind then name."""
    return render_values(compile_values(graph), engine, namespace)
