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
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from infergraph_server.component.rest import seldon_failure, v2_endpoint, v2_infer
from infergraph_server.errors import InferenceError
from infergraph_server.http import (
    Handler,
    HttpClient,
    HttpClientError,
    HttpResponse,
    Request,
    Response,
    json_response,
)
from infergraph_server.metrics import Metrics
from infergraph_server.runner import Service
from infergraph_server.settings import NODE_BODY_HEADROOM, OrchestratorSettings, ServerSettings

from .errors import OrchestratorError
from .executor import Executor
from .frontend import Frontend
from .graph import RuntimeGraph, RuntimeNode, load_graph
from .http_transport import HttpTransport
from .payload_log import PayloadLog
from .readiness import Readiness
from .seldon_metrics import SeldonMetrics
from .transport import Transport

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["OrchestratorService"]


def _decode(request: Request) -> dict[str, Any]:
    try:
        doc = orjson.loads(request.body)
    except orjson.JSONDecodeError as exc:
        raise OrchestratorError(f"request body is not JSON: {exc}", 400) from None
    if not isinstance(doc, dict):
        raise OrchestratorError("request body must be a JSON object (a Seldon message)", 400)
    return doc


async def _node_get(node: RuntimeNode, path: str) -> HttpResponse | None:
    """GET `path` on a node; None when it does not answer 200 within a second."""
    client = HttpClient(node.host, node.http_port, max_connections=1, timeout=1.0)
    try:
        answer = await client.request("GET", path)
    except HttpClientError:
        return None
    finally:
        await client.close()
    return answer if answer.status == 200 else None


async def _output_name(node: RuntimeNode) -> str | None:
    """The first output a node's V2 metadata names, if it serves V2 metadata."""
    answer = await _node_get(node, f"/v2/models/{node.name}")
    try:
        meta = orjson.loads(answer.body) if answer is not None else None
    except orjson.JSONDecodeError:
        return None
    outputs = meta.get("outputs") if isinstance(meta, dict) else None
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], dict):
        name = outputs[0].get("name")
        return name if isinstance(name, str) and name else None
    return None


def _seldon(run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> Handler:
    """A Seldon endpoint: errors answer a Seldon `status` whose reason is the error's class."""

    async def handle(request: Request) -> Response:
        try:
            return json_response(await run(_decode(request)))
        except InferenceError as exc:
            return seldon_failure(exc, type(exc).__name__)

    return handle


def _transport(graph: RuntimeGraph, tracing: Tracing | None) -> Transport:
    """The graph's `transport`: gRPC channels or HTTP pools, one per node."""
    if graph.transport == "grpc":
        from .grpc_transport import GrpcTransport  # grpc stays unloaded for REST graphs

        return GrpcTransport(graph.max_body_bytes + NODE_BODY_HEADROOM, tracing)
    return HttpTransport(graph.max_concurrency, tracing)


class OrchestratorService(Service):
    """One predictor's orchestrator process (one per worker)."""

    def __init__(self, settings: ServerSettings, tracing: Tracing | None = None) -> None:
        super().__init__(settings, tracing)
        assert isinstance(settings, OrchestratorSettings)
        self.graph = load_graph(settings.graph)
        self.readiness = Readiness(self.graph)
        seldon = SeldonMetrics(self.graph) if settings.metrics_port != 0 else None
        calls = seldon.observe_call if seldon is not None else None
        transport = _transport(self.graph, tracing)
        logging = self.graph.logging
        self.log = None if logging is None else PayloadLog(self.graph, logging, settings.namespace)
        self.executor = Executor(self.graph, transport, self.readiness, calls, tracing, self.log)
        self._watch: asyncio.Task[None] | None = None
        self.front = Frontend(self.graph, self.executor)
        metrics = Metrics(self.graph.predictor, enabled=seldon is not None)

        def timed(endpoint: str, handler: Handler) -> Handler:
            also = seldon.server_observer(endpoint) if seldon is not None else None
            return metrics.timed(endpoint, handler, also)

        r = self.router
        r.post("/api/v1.0/predictions", timed("predictions", _seldon(self.front.predict)))
        r.post("/api/v1.0/feedback", timed("feedback", _seldon(self.front.feedback)))
        r.post(
            "/v2/models/{name}/infer", timed("infer", v2_endpoint(partial(v2_infer, self.front)))
        )
        for path in ("/health/ping", "/v2/health/live"):
            r.get(path, self._live)
        for path in ("/health/status", "/v2/health/ready", "/v2/models/{name}/ready"):
            r.get(path, v2_endpoint(self._ready))
        r.get("/v2/models/{name}", v2_endpoint(self._model_metadata))
        r.get("/v2", self._server_metadata)

    async def startup(self) -> None:
        """Wait until every node of the graph is ready, then keep watching them."""
        while await self.readiness.check():
            await asyncio.sleep(0.1)
        self._watch = asyncio.create_task(self.readiness.watch())
        nodes = self.graph.nodes()
        names = await asyncio.gather(*(_output_name(n) for n in nodes))
        self.front.output_names = {n.name: o for n, o in zip(nodes, names, strict=True) if o}

    async def shutdown(self) -> None:
        """Stop watching the nodes; close the connections to them."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self.readiness.aclose()
        await self.executor.transport.aclose()
        if self.log is not None:
            await self.log.aclose()

    def grpc_adders(self) -> Sequence[Callable[[Any], None]]:
        """Seldon `Seldon` and V2 `GRPCInferenceService` over the same front."""
        from .grpc_api import grpc_adders

        return grpc_adders(self.front, lambda: self.ready)

    async def _live(self, _: Request) -> Response:
        return json_response({"live": True})

    async def _ready(self, request: Request) -> Response:
        if "name" in request.params:
            self.front.check_model(request.params["name"])
        return json_response({"ready": self.ready}, 200 if self.ready else 503)

    async def _model_metadata(self, request: Request) -> Response:
        return json_response(self.front.model_metadata(request.params["name"]))

    async def _server_metadata(self, _: Request) -> Response:
        return json_response(self.front.server_metadata())
