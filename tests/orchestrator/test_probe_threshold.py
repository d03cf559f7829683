"""The orchestrator takes a ready node out only on the evidence the kubelet would: the compiled
`probeTimeoutMs` and `probeFailureThreshold`, the numbers of the node's own readiness probe.

The regression: under heavy load (the container tier at load ~56) one readiness probe of the
`-mlflow` node went unanswered within the orchestrator's fixed 1 s, the orchestrator marked the
node not ready at once, and the test's next request got a 503 "not ready" from a graph whose
node the kubelet rules (2 s, 3 failures in a row) still held ready.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from runtime_graph import node

from infergraph.api import compile_values
from infergraph.loading import load
from infergraph_server.http import HttpServer, Request, Response, Router
from infergraph_server.orchestrator.errors import NodeError
from infergraph_server.orchestrator.readiness import Readiness

from .nodes import graph
from .test_compiled_readiness import compiled, on_loopback, orchestrate

Message = dict[str, Any]
SPEC = (
    "metadata: {name: g}\nspec:\n  protocol: v2\n  predictors:\n"
    "  - name: main\n    graph: {name: triton, image: example/triton:1}\n"
)
SLOW_S = 1.2  # past the probe timeout of this test and past the old fixed 1 s
PROBE_TIMEOUT_MS = 300  # shorter than compiled, so that the test takes seconds
TENSOR = {"name": "x", "shape": [1], "datatype": "FP64", "data": [1.0]}


def test_the_orchestrators_probe_uses_the_nodes_readiness_probe_numbers(tmp_path: Path) -> None:
    path = tmp_path / "graph.yaml"
    path.write_text("apiVersion: infergraph.io/v1alpha1\nkind: InferenceGraph\n" + SPEC)
    values = compile_values(load(path))
    probe = values["predictors"]["main"]["nodes"]["triton"]["container"]["readinessProbe"]
    runtime = orjson.loads(values["predictors"]["main"]["runtimeJson"])
    assert runtime["probeTimeoutMs"] == probe["timeoutSeconds"] * 1000
    assert runtime["probeFailureThreshold"] == probe["failureThreshold"]


def test_a_node_is_not_ready_until_a_probe_passes_then_out_after_the_threshold() -> None:
    readiness = Readiness(graph(node("clf")))
    clf = readiness.graph.root
    readiness.probed(clf, "cannot connect")
    assert readiness.down == {"clf": "cannot connect"}  # never ready yet: out at once
    readiness.probed(clf, None)
    assert readiness.down == {}
    for _ in range(readiness.graph.probe_failure_threshold - 1):
        readiness.probed(clf, "no answer in time")
        assert readiness.down == {}
    readiness.probed(clf, "no answer in time")
    threshold = readiness.graph.probe_failure_threshold
    assert readiness.down == {"clf": f"no answer in time ({threshold} probes in a row)"}
    readiness.probed(clf, None)
    assert readiness.down == {}


class SlowReady:
    """A V2 node whose readiness answers come `SLOW_S` late while `slow` > 0 (or always, when
    negative), as a node's do on a machine loaded far past its cores; it counts the probes."""

    def __init__(self) -> None:
        self.slow = 0
        self.probes = 0
        self.fast_after_slow = 0  # on-time answers since the last `slow` was set

    def router(self) -> Router:
        async def ready(_: Request) -> Response:
            self.probes += 1
            if self.slow != 0:
                self.slow -= 1 if self.slow > 0 else 0
                await asyncio.sleep(SLOW_S)
            else:
                self.fast_after_slow += 1
            return Response(b"{}")

        async def infer(request: Request) -> Response:
            tensor = orjson.loads(request.body)["inputs"][0]
            return Response(orjson.dumps({"model_name": "triton", "outputs": [tensor]}))

        router = Router()
        router.get("/v2/health/ready", ready)
        router.post("/v2/models/triton/infer", infer)
        return router

    def set_slow(self, count: int) -> None:
        self.slow, self.fast_after_slow = count, 0


async def _until(condition: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


def test_slow_probes_below_the_threshold_turn_no_request_away(tmp_path: Path) -> None:
    doc = compiled(tmp_path, SPEC)
    threshold = doc["probeFailureThreshold"]
    assert threshold > 1
    node_server = SlowReady()

    async def scenario() -> None:
        server = HttpServer(node_server.router())
        port = await server.start("127.0.0.1", 0)
        fast = {**on_loopback(doc, (port, 9)), "probePeriodMs": 50}
        service = await orchestrate(tmp_path, {**fast, "probeTimeoutMs": PROBE_TIMEOUT_MS})
        answered: list[int] = []

        async def ask() -> None:  # requests all along, as the fleet test sends them
            out = await service.executor.predict({"inputs": [dict(TENSOR)]})
            answered.append(len(out["inputs"]))

        try:
            node_server.set_slow(threshold - 1)
            while node_server.fast_after_slow < 2:  # every slow probe and a fast one after
                await ask()
                await asyncio.sleep(0.01)
            assert service.readiness.down == {}
            assert len(answered) > 10

            node_server.set_slow(-1)  # slow from now on: out after `threshold` probes
            await _until(lambda: service.readiness.down, "the node never went out")
            with pytest.raises(NodeError, match=rf"triton.*{threshold} probes in a row") as err:
                await ask()
            assert err.value.status == 503

            node_server.set_slow(0)
            await _until(lambda: not service.readiness.down, "the node never came back")
            await ask()
        finally:
            await service.shutdown()
            await server.shutdown(0)

    asyncio.run(scenario())
