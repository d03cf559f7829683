"""The orchestrator probes each node where the compiler says (`readinessPath`, `protocol`),
over real loopback sockets: a custom image speaking only V2, a gRPC-only custom container, and
a custom Seldon-protocol node that is slow to load its model."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grpc
import orjson
from loopback import free_port

from infergraph.api import compile_runtime_document
from infergraph.loading import load
from infergraph_server.component.dataplane import DataPlane
from infergraph_server.component.grpc_server import grpc_adders
from infergraph_server.http import HttpClient, HttpServer, Request, Response, Router
from infergraph_server.orchestrator.service import OrchestratorService
from infergraph_server.settings import ComponentSettings, OrchestratorSettings

Message = dict[str, Any]
SERVER = Path(sys.executable).parent / "infergraph-server"


def compiled(tmp: Path, spec: str) -> Message:
    """The `main` runtime graph the compiler writes for an InferenceGraph `spec` (YAML)."""
    path = tmp / "graph.yaml"
    path.write_text("apiVersion: infergraph.io/v1alpha1\nkind: InferenceGraph\n" + spec)
    runtime: Message = compile_runtime_document(load(path), "main")
    return runtime


def on_loopback(doc: Message, ports: tuple[int, int]) -> Message:
    """The runtime graph with its (single) node at `ports` (HTTP, gRPC) on 127.0.0.1."""
    root = {**doc["root"], "host": "127.0.0.1", "httpPort": ports[0], "grpcPort": ports[1]}
    return {**doc, "root": root}


async def orchestrate(tmp: Path, doc: Message) -> OrchestratorService:
    """A real orchestrator service on `doc`, started (every node ready) within 10 s."""
    path = tmp / "runtime.json"
    path.write_bytes(orjson.dumps(doc))
    service = OrchestratorService(OrchestratorSettings(graph=str(path)))
    await asyncio.wait_for(service.startup(), 10)
    return service


def v2_only_node() -> Router:
    """A custom V2 server (as Triton or MLServer): no Seldon paths, no /health/ping."""

    async def ready(_: Request) -> Response:
        return Response(b"{}")

    async def infer(request: Request) -> Response:
        tensor = orjson.loads(request.body)["inputs"][0]
        out = {**tensor, "name": "doubled", "data": [2 * v for v in tensor["data"]]}
        return Response(orjson.dumps({"model_name": "triton", "outputs": [out]}))

    router = Router()
    router.get("/v2/health/ready", ready)
    router.post("/v2/models/triton/infer", infer)
    return router


def test_custom_v2_image_becomes_ready_and_answers(tmp_path: Path) -> None:
    doc = compiled(
        tmp_path,
        "metadata: {name: g}\nspec:\n  protocol: v2\n  predictors:\n"
        "  - name: main\n    graph: {name: triton, image: example/triton:1}\n",
    )
    assert (doc["root"]["readinessPath"], doc["root"]["protocol"]) == ("/v2/health/ready", "v2")

    async def scenario() -> None:
        server = HttpServer(v2_only_node())
        port = await server.start("127.0.0.1", 0)
        service = await orchestrate(tmp_path, on_loopback(doc, (port, free_port())))
        tensor = {"name": "x", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0]}
        out = await service.executor.predict({"inputs": [tensor]})
        assert out["inputs"][0]["data"] == [2.0, 4.0]
        await service.shutdown()
        await server.shutdown(0)

    asyncio.run(scenario())


def test_grpc_only_custom_node_becomes_ready_and_answers_over_grpc(tmp_path: Path) -> None:
    doc = compiled(
        tmp_path,
        "metadata: {name: g}\nspec:\n  transport: grpc\n  predictors:\n  - name: main\n"
        "    graph: {name: clf, image: example/clf:1, endpoint: {type: GRPC}}\n",
    )
    assert doc["root"]["readinessPath"] is None

    async def scenario() -> None:
        plane = DataPlane(ComponentSettings(name="clf", class_path="graph_nodes:Scale"))
        await plane.load()
        plane.ready = True
        server = grpc.aio.server()
        for add in grpc_adders(plane):
            add(server)
        grpc_port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:  # no HTTP server at all: the node's HTTP port is closed
            service = await orchestrate(tmp_path, on_loopback(doc, (free_port(), grpc_port)))
            out = await service.executor.predict({"data": {"ndarray": [[1.0, 2.0]]}})
            assert out["data"]["ndarray"] == [[1.0, 2.0]]
            assert out["meta"]["tags"] == {"scale-1": 1.0}  # the node's own answer, over gRPC
            await service.shutdown()
        finally:
            await server.stop(0)

    sys.path.insert(0, str(Path(__file__).parent))
    try:
        asyncio.run(scenario())
    finally:
        sys.path.remove(str(Path(__file__).parent))


SLOW_LOAD = """
import time

class SlowLoad:
    def load(self):
        time.sleep(2.0)

    def predict(self, X, names):
        return X
"""


def test_custom_seldon_node_is_ready_only_once_its_model_is_loaded(tmp_path: Path) -> None:
    """`/health/ping` answers while the model still loads; the compiled `/health/status` waits."""
    doc = compiled(
        tmp_path,
        "metadata: {name: g}\nspec:\n  predictors:\n"
        "  - name: main\n    graph: {name: clf, image: example/clf:1}\n",
    )
    assert doc["root"]["readinessPath"] == "/health/status"
    (tmp_path / "slow_load.py").write_text(SLOW_LOAD)
    http, grpc_port = free_port(), free_port()
    command = [str(SERVER), "component", "--host", "127.0.0.1", "--name", "clf",
               "--class", "slow_load:SlowLoad", "--http-port", str(http),
               "--grpc-port", str(grpc_port), "--metrics-port", "0"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    node = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def scenario() -> None:
        client = HttpClient("127.0.0.1", http, 1, 1.0)
        deadline = time.monotonic() + 20
        while True:  # the node's HTTP port is open, its model not loaded yet
            try:
                if (await client.request("GET", "/health/ping")).status == 200:
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.05)
        assert (await client.request("GET", "/health/status")).status == 503
        await client.close()
        service = await orchestrate(tmp_path, on_loopback(doc, (http, grpc_port)))
        out = await service.executor.predict({"data": {"ndarray": [[1.0, 2.0]]}})
        assert out["data"]["ndarray"] == [[1.0, 2.0]]
        await service.shutdown()

    try:
        asyncio.run(scenario())
    finally:
        node.terminate()
        node.wait(10)
