"""Values as helm needs them: the chart's defaults and the nulls that keep them out.

helm merges a user's values over the chart's values.yaml, which holds the compiled values of a
default single-model graph. Without care, a graph with no predictor `main` would still get the
default `main` objects. So the values written for helm carry a null for every key only the
defaults have: helm drops a key whose user value is null.
"""

from __future__ import annotations

from functools import cache

from .compile import compile_values
from .model import Graph, Node, Predictor
from .pointers import JSON

__all__ = ["chart_default_values", "default_graph", "helm_values"]


def default_graph() -> Graph:
    """The graph the chart's values.yaml is compiled from: one SKLEARN_SERVER model."""
    node = Node(
        name="classifier",
        type="MODEL",
        pointer="/spec/predictors/0/graph",
        implementation="SKLEARN_SERVER",
        model_uri="gs://seldon-models/sklearn/iris",
    )
    main = Predictor(name="main", graph=node, pointer="/spec/predictors/0")
    return Graph(name="iris", source="charts/infergraph", predictors=(main,))


def chart_default_values() -> JSON:
    """The values the chart's values.yaml holds (tools/generate.py writes them there)."""
    return compile_values(default_graph())


@cache
def _default_keys() -> JSON:
    """Compiled once per process: every `helm_values` call compares against the same values."""
    return chart_default_values()


def _with_nulls(values: JSON, defaults: JSON) -> JSON:
    if not isinstance(values, dict) or not isinstance(defaults, dict):
        return values
    out = {key: None for key in defaults if key not in values}
    out.update({key: _with_nulls(v, defaults.get(key)) for key, v in values.items()})
    return out


def helm_values(values: JSON) -> JSON:
    """`values` plus a null for every key that only the chart's defaults have."""
    return _with_nulls(values, _default_keys())
