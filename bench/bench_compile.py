"""Compile speed: load + validate + compile, in process.

Targets on this machine: a 100-predictor × 20-node graph under 0.5 s; 1,000 small graphs under 2 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from infergraph.compile import compile_values
from infergraph.loading import load_text

__all__ = ["big_graph", "main", "small_graph"]


def _chain(depth: int, prefix: str) -> dict[str, object]:
    """A TRANSFORMER chain ending in a model: `depth` nodes in all."""
    node: dict[str, object] = {
        "name": f"{prefix}-{depth - 1}",
        "implementation": "SKLEARN_SERVER",
        "modelUri": "pvc://models/iris",
    }
    for i in range(depth - 2, -1, -1):
        node = {"name": f"{prefix}-{i}", "type": "TRANSFORMER", "image": "t:1", "children": [node]}
    return node


def _document(name: str, predictors: int, nodes: int) -> str:
    weights = [100 // predictors] * predictors
    weights[0] += 100 - sum(weights)
    spec = {
        "predictors": [
            {"name": f"p{i}", "traffic": weights[i], "graph": _chain(nodes, "n")}
            for i in range(predictors)
        ]
    }
    doc = {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": name},
        "spec": spec,
    }
    return json.dumps(doc)


def big_graph() -> str:
    return _document("big", 100, 20)


def small_graph(i: int) -> str:
    return _document(f"g{i}", 1, 2)


def _best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    big = big_graph()
    smalls = [small_graph(i) for i in range(1000)]
    t_big = _best_of(3, lambda: compile_values(load_text(big, "big.json")))
    t_small = _best_of(
        3,
        lambda: [compile_values(load_text(s, f"g{i}.json")) for i, s in enumerate(smalls)],
    )
    print("compile: load+validate+compile, in process, best of 3")
    for label, seconds, target in (
        ("100 predictors x 20 nodes", t_big, 0.5),
        ("1,000 small graphs", t_small, 2.0),
    ):
        print(
            f"  {label:26}: {seconds:7.3f} s  (target < {target} s; ratio {seconds / target:.2f})"
        )


if __name__ == "__main__":
    main()
