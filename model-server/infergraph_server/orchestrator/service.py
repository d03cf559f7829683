"""`infergraph-server orchestrator`: the executor behind the component server's HTTP core.

Seldon `POST /api/v1.0/predictions` and `/api/v1.0/feedback`, V2 health and metadata, and the
same health paths as a node. Readiness turns true once every node of the graph answers its own
readiness probe, as Seldon's executor does, so `infergraph up` and Kubernetes wait for the
whole graph. Seldon endpoints answer errors as Seldon `status` objects naming the cause.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from infergraph_server.http import HttpClient, HttpClientError, Request, Response, json_response
from infergraph_server.metrics import Metrics
from infergraph_server.runner import Service
from infergraph_server.settings import ServerSettings

from .errors import OrchestratorError
from .executor import Executor
from .graph import RuntimeNode, load_graph
from .http_transport import HttpTransport

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


async def _node_ready(node: RuntimeNode) -> bool:
    """Our image answers `/v2/health/ready`; custom Seldon images only `/health/ping`."""
    path = "/v2/health/ready" if node.implementation else "/health/ping"
    client = HttpClient(node.host, node.http_port, max_connections=1, timeout=1.0)
    try:
        return (await client.request("GET", path)).status == 200
    except HttpClientError:
        return False
    finally:
        await client.close()


class OrchestratorService(Service):
    """One predictor's orchestrator process (one per worker)."""

    def __init__(self, settings: ServerSettings) -> None:
        super().__init__(settings)
        assert isinstance(settings, OrchestratorSettings)
        self.graph = load_graph(settings.graph)
        self.executor = Executor(self.graph, HttpTransport(self.graph.max_concurrency))
        self.metrics = Metrics(self.graph.predictor)
        r = self.router
        r.post("/api/v1.0/predictions", self._seldon(self.executor.predict, "predictions"))
        r.post("/api/v1.0/feedback", self._seldon(self.executor.feedback, "feedback"))
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

    def _seldon(
        self, run: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]], endpoint: str
    ) -> Callable[[Request], Awaitable[Response]]:
        observe = self.metrics.observe

        async def handle(request: Request) -> Response:
            started = time.perf_counter()
            try:
                response = Response(orjson.dumps(await run(_decode(request))))
            except OrchestratorError as exc:
                response = seldon_error(exc.status, str(exc), type(exc).__name__)
            observe(endpoint, response.status, time.perf_counter() - started)
            return response

        return handle

    async def _live(self, _: Request) -> Response:
        return json_response({"live": True})

    async def _ready(self, request: Request) -> Response:
        name = request.params.get("name")
        if name is not None and name != self.graph.graph:
            return json_response({"error": f"model {name!r} is not served here"}, 404)
        return json_response({"ready": self.ready}, 200 if self.ready else 503)

    async def _model_metadata(self, request: Request) -> Response:
        if request.params["name"] != self.graph.graph:
            return json_response(
                {"error": f"model {request.params['name']!r} is not served here"}, 404
            )
        nodes = [{"name": n.name, "type": n.type} for n in self.graph.nodes()]
        return json_response(
            {
                "name": self.graph.graph,
                "versions": [],
                "platform": "infergraph-graph",
                "inputs": [],
                "outputs": [],
                "parameters": {"predictor": self.graph.predictor, "nodes": nodes},
            }
        )

    async def _server_metadata(self, _: Request) -> Response:
        return json_response(
            {"name": "infergraph-orchestrator", "version": "0.1.0", "extensions": []}
        )
