"""What Seldon's executor histograms cost the orchestrator per request, measured in-process.

CPU time (process_time, so other load on the machine does not count) of: one observation of
each family (client call, server request) against prometheus_client's `Histogram.observe`
(what a plain implementation would pay) and the orchestrator's own `infergraph_*` pair; and
one prediction through the executor over the in-process transport with the call observer off
and on (best of interleaved rounds). Sockets and HTTP parsing, which a real request also pays,
are left out, so the ratio is an upper bound of the share.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from runtime_graph import node

from infergraph_server.metrics import Metrics
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.seldon_metrics import SELDON_BUCKETS, SeldonMetrics
from infergraph_server.orchestrator.transport import InProcessTransport
from tests.orchestrator.nodes import graph, seldon_node

__all__ = ["main"]

ROUNDS = 9


def _per_call_us(call: Callable[[], Any], n: int = 100_000) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        for _ in range(n):
            call()
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


async def _predict_us(executor: Executor, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        await executor.predict({"data": {"ndarray": [[1.0, 2.0]]}})
    return (time.process_time() - start) / n * 1e6


def main() -> int:
    runtime = graph(node("clf"))
    seldon = SeldonMetrics(runtime)
    observe_call, server = seldon.observe_call, seldon.server_observer("predictions")
    plain = Histogram("x_seconds", "x", ["a"], buckets=SELDON_BUCKETS, registry=CollectorRegistry())
    child, ours, root = plain.labels("a"), Metrics("main"), runtime.root
    figures = {
        "client call observation": _per_call_us(lambda: observe_call(root, "/predict", 200, 3e-4)),
        "server request observation": _per_call_us(lambda: server(200, 3e-4)),
        "prometheus_client Histogram.observe": _per_call_us(lambda: child.observe(3e-4)),
        "infergraph_* counter + histogram": _per_call_us(lambda: ours.observe("p", 200, 3e-4)),
    }
    for name, us in figures.items():
        print(f"{name:<40}{us:>8.3f} µs")
    transport = InProcessTransport({"clf": seldon_node(lambda path, msg: msg)})
    off = Executor(runtime, transport)
    on = Executor(runtime, transport, calls=observe_call)
    best = {"off": float("inf"), "on": float("inf")}
    for _ in range(ROUNDS):
        best["off"] = min(best["off"], asyncio.run(_predict_us(off, 3000)))
        best["on"] = min(best["on"], asyncio.run(_predict_us(on, 3000)))
    print(f"{'predict in-process, call observer off':<40}{best['off']:>8.2f} µs")
    print(f"{'predict in-process, call observer on':<40}{best['on']:>8.2f} µs")
    added = figures["client call observation"] + figures["server request observation"]
    print(
        f"Seldon series per single-node request: {added:.2f} µs of CPU, "
        f"{added / best['off']:.1%} of an in-process prediction (no sockets; less of a real one); "
        f"prometheus_client would pay {2 * figures['prometheus_client Histogram.observe']:.2f} µs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
