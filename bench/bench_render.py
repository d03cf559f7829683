"""Render cost: every example through helm and through jsonnet, a 100-node graph per object, and
the object checks of that graph's objects.

helm runs as a subprocess per render (as users run it); jsonnet is evaluated in process by the
C++ binding. Both are measured here in the same run, so the ratio compares like with like.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_compile import _document  # the same synthetic graphs as the compile bench

from infergraph.api import compile_values
from infergraph.checks import check_objects
from infergraph.loading import load, load_text
from infergraph.render_helm import render_helm
from infergraph.render_jsonnet import render_jsonnet

__all__ = ["main"]

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


def _timed(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of `runs` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    values = [compile_values(load(e)) for e in EXAMPLES]
    helm_all, _ = _timed(3, lambda: [render_helm(v) for v in values])
    jsonnet_all, _ = _timed(3, lambda: [render_jsonnet(v) for v in values])
    print(f"render: all {len(values)} examples, best of 3")
    print(f"  helm    : {helm_all:7.3f} s")
    print(f"  jsonnet : {jsonnet_all:7.3f} s   (jsonnet/helm ratio {jsonnet_all / helm_all:.2f})")

    big = compile_values(load_text(_document("wide", 5, 20), "wide.json"))
    helm_big, objects = _timed(3, lambda: render_helm(big))
    jsonnet_big, _ = _timed(3, lambda: render_jsonnet(big))
    per = len(objects)
    print(f"render: 100-node graph (5 predictors x 20 nodes), {per} objects, best of 3")
    print(f"  helm    : {helm_big:7.3f} s  = {helm_big / per * 1e3:6.2f} ms/object")
    print(
        f"  jsonnet : {jsonnet_big:7.3f} s  = {jsonnet_big / per * 1e3:6.2f} ms/object"
        f"   (jsonnet/helm ratio {jsonnet_big / helm_big:.2f})"
    )
    check_objects(objects)  # the first call loads and caches the schemas
    checked, _ = _timed(3, lambda: check_objects(objects))
    print(f"check: the same {per} objects against their schemas, best of 3")
    print(f"  {checked:7.3f} s  = {checked / per * 1e3:6.2f} ms/object")


if __name__ == "__main__":
    main()
