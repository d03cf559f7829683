"""`infergraph-server orchestrator`: the executor behind the component server's HTTP core.

Seldon `POST /api/v1.0/predictions` and `/api/v1.0/feedback`, V2 `POST /v2/models/{graph}/infer`,
health and metadata, the same health paths as a node, and on the gRPC port the Seldon `Seldon`
and V2 `GRPCInferenceService` services (grpc_api.py). Nodes are called over HTTP or gRPC as the
runtime graph's `transport` says. Readiness turns true once every node of the graph answers its
own readiness probe, as Seldon's executor does, so `infergraph up` and Kubernetes wait for the
whole graph. Seldon endpoints answer errors as Seldon `status` objects naming the cause, V2
endpoints as `{"error": ...}`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson

from infergraph_server.codecs.v2 import HEADER_LENGTH, decode_infer_request, encode_infer_response
from infergraph_server.errors import InferenceError
from infergraph_server.http import HttpClient, HttpClientError, Request, Response, json_response
from infergraph_server.metrics import Metrics
from infergraph_server.runner import Service
from infergraph_server.settings import ServerSettings

from .errors import OrchestratorError
from .executor import Executor
from .frontend import Frontend
from .graph import RuntimeGraph, RuntimeNode, load_graph
from .http_transport import HttpTransport
from .transport import Transport

__all__ = ["OrchestratorService", "OrchestratorSettings", "seldon_error"]


@dataclasses.dataclass(frozen=True)
class OrchestratorSettings(ServerSettings):
    """Settings of `infergraph-server orchestrator`."""

    graph: str = "/etc/infergraph/graph.json"  # runtime graph file (INFERGRAPH_GRAPH, --graph)


def seldon_error(status: int, info: str, reason: str) -> Response:
    """A Seldon-protocol failure answer: `{"status": {code, info, reason, status: FAILURE}}`."""
    body = {"status": {"code": status, "info": info, "reason": reason, "status": "FAILURE"}}
    return Response(orjson.dumps(body), status)


def _decode(request: Request) -> dict[str, Any]:
    try:
        doc = orjson.loads(request.body)
    except orjson.JSONDecodeError as exc:
        raise OrchestratorError(f"request body is not JSON: {exc}", 400) from None
    if not isinstance(doc, dict):
        raise OrchestratorError("request body must be a JSON object (a Seldon message)", 400)
    return doc


async def _node_get(node: RuntimeNode, path: str) -> Any:
    """GET a node's JSON; None when it does not answer 200 with JSON."""
    client = HttpClient(node.host, node.http_port, max_connections=1, timeout=1.0)
    try:
        answer = await client.request("GET", path)
        return orjson.loads(answer.body) if answer.status == 200 else None
    except (HttpClientError, orjson.JSONDecodeError):
        return None
    finally:
        await client.close()


async def _node_ready(node: RuntimeNode) -> bool:
    """Our image answers `/v2/health/ready`; custom Seldon images only `/health/ping`."""
    if node.implementation:
        return await _node_get(node, "/v2/health/ready") is not None
    client = HttpClient(node.host, node.http_port, max_connections=1, timeout=1.0)
    try:
        return (await client.request("GET", "/health/ping")).status == 200
    except HttpClientError:
        return False
    finally:
        await client.close()


async def _output_name(node: RuntimeNode) -> str | None:
    """The first output a node's V2 metadata names, if it serves V2 metadata."""
    meta = await _node_get(node, f"/v2/models/{node.name}")
    outputs = meta.get("outputs") if isinstance(meta, dict) else None
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
        name = outputs[0].get("name")
        return name if isinstance(name, str) and name else None
    return None


def _transport(graph: RuntimeGraph) -> Transport:
    """The graph's `transport`: gRPC channels or HTTP pools, one per node."""
    if graph.transport == "grpc":
        from .grpc_transport import GrpcTransport  # grpc stays unloaded for REST graphs

        return GrpcTransport(graph.max_body_bytes)
    return HttpTransport(graph.max_concurrency)


class OrchestratorService(Service):
    """One predictor's orchestrator process (one per worker)."""

    def __init__(self, settings: ServerSettings) -> None:
        super().__init__(settings)
        assert isinstance(settings, OrchestratorSettings)
        self.graph = load_graph(settings.graph)
        self.executor = Executor(self.graph, _transport(self.graph))
        self.front = Frontend(self.graph, self.executor)
        self.metrics = Metrics(self.graph.predictor)
        r = self.router
        r.post("/api/v1.0/predictions", self._seldon(self.front.predict, "predictions"))
        r.post("/api/v1.0/feedback", self._seldon(self.front.feedback, "feedback"))
        r.post("/v2/models/{name}/infer", self._infer)
        for path in ("/health/ping", "/v2/health/live"):
            r.get(path, self._live)
        for path in ("/health/status", "/v2/health/ready", "/v2/models/{name}/ready"):
            r.get(path, self._ready)
        r.get("/v2/models/{name}", self._model_metadata)
        r.get("/v2", self._server_metadata)

    async def startup(self) -> None:
        """Wait until every node of the graph is ready."""
        pending = list(self.graph.nodes())
        while pending:
            answers = await asyncio.gather(*(_node_ready(n) for n in pending))
            pending = [n for n, ok in zip(pending, answers, strict=True) if not ok]
            if pending:
                await asyncio.sleep(0.1)
        nodes = self.graph.nodes()
        names = await asyncio.gather(*(_output_name(n) for n in nodes))
        self.front.output_names = {n.name: o for n, o in zip(nodes, names, strict=True) if o}

    def grpc_adders(self) -> Sequence[Callable[[Any], None]]:
        """Seldon `Seldon` and V2 `GRPCInferenceService` over the same front."""
        from .grpc_api import grpc_adders

        return grpc_adders(self.front, lambda: self.ready)

    def _seldon(
        self, run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]], endpoint: str
    ) -> Callable[[Request], Awaitable[Response]]:
        observe = self.metrics.observe

        async def handle(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = json_response(await run(_decode(request)))
            except InferenceError as exc:
                response = seldon_error(exc.status, exc.message, type(exc).__name__)
            observe(endpoint, response.status, time.perf_counter() - started)
            return response

        return handle

    async def _infer(self, request: Request) -> Response:
        started = time.perf_counter()
        name = request.params["name"]
        try:
            self.front.check_model(name)
            infer = decode_infer_request(request.body, request.headers.get(HEADER_LENGTH))
            body, header_length = encode_infer_response(
                name, infer, await self.front.infer(name, infer)
            )
            if header_length is None:
                response = Response(body)
            else:  # binary tensor data: tritonclient looks for this exact header
                header = [("Inference-Header-Content-Length", header_length)]
                response = Response(body, content_type="application/octet-stream", headers=header)
        except InferenceError as exc:
            response = json_response({"error": exc.message}, exc.status)
        self.metrics.observe("infer", response.status, time.perf_counter() - started)
        return response

    async def _live(self, _: Request) -> Response:
        return json_response({"live": True})

    async def _ready(self, request: Request) -> Response:
        try:
            if "name" in request.params:
                self.front.check_model(request.params["name"])
        except InferenceError as exc:
            return json_response({"error": exc.message}, exc.status)
        return json_response({"ready": self.ready}, 200 if self.ready else 503)

    async def _model_metadata(self, request: Request) -> Response:
        try:
            return json_response(self.front.model_metadata(request.params["name"]))
        except InferenceError as exc:
            return json_response({"error": exc.message}, exc.status)

    async def _server_metadata(self, _: Request) -> Response:
        return json_response(self.front.server_metadata())
