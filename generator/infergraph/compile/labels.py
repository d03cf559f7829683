"""Label sets: graph-wide labels, per-workload labels and the (version-free) selector labels."""

from __future__ import annotations

from ..model import Detector, Graph, Node, Predictor

__all__ = ["detector_labels", "graph_labels", "workload_labels"]

JSONDict = dict[str, str]


def graph_labels(graph: Graph) -> JSONDict:
    """Labels on every object: the user's, then ours (ours win on a clash)."""
    return {
        **graph.labels,
        "app.kubernetes.io/name": "infergraph",
        "app.kubernetes.io/instance": graph.name,
        "infergraph.io/graph": graph.name,
    }


def workload_labels(
    graph: Graph, predictor: Predictor, node: Node | None
) -> tuple[JSONDict, JSONDict]:
    """(labels, selectorLabels) of an orchestrator (`node` None) or a node workload.

    The user's predictor and node labels come first: ours, which selectors rely on, win.
    """
    selector = {
        "app.kubernetes.io/instance": graph.name,
        "app.kubernetes.io/component": "orchestrator" if node is None else "node",
        "infergraph.io/predictor": predictor.name,
    }
    if node is not None:
        selector["infergraph.io/node"] = node.name
    own = node.labels if node is not None else {}
    labels = {**predictor.labels, **own, **graph_labels(graph), **selector}
    return labels, selector


def detector_labels(graph: Graph, detector: Detector) -> tuple[JSONDict, JSONDict]:
    """(labels, selectorLabels) of a detector workload (it belongs to no predictor)."""
    selector = {
        "app.kubernetes.io/instance": graph.name,
        "app.kubernetes.io/component": "detector",
        "infergraph.io/detector": detector.name,
    }
    return {**graph_labels(graph), **selector}, selector
