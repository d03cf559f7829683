"""Distributed tracing over real sockets: one request, one trace, its span tree the graph.

The node servers are real `infergraph-server component` processes whose tracing is turned on
by the OTEL_* environment the compiler writes; they export over OTLP/HTTP to a receiver on
loopback (otlp_receiver.py). The orchestrator runs in this process, on real HTTP and gRPC
ports, with the SDK's in-memory exporter. The graph is
TRANSFORMER pre → ROUTER router → (MODEL model-a | COMBINER avg → (MODEL model-b, model-c));
each request comes in with a W3C `traceparent` or B3 headers, over REST or gRPC, and the
orchestrator calls the nodes over REST or gRPC (the graph's `transport`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import orjson
import pytest
from google.protobuf import json_format
from opentelemetry.propagators.b3 import B3MultiFormat
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from runtime_graph import graph_doc, node
from servers import Launch, start_component

from infergraph_server.http import HttpClient, HttpServer
from infergraph_server.orchestrator.service import OrchestratorService
from infergraph_server.proto import prediction_pb2 as pb
from infergraph_server.proto import prediction_pb2_grpc as rpc
from infergraph_server.settings import OrchestratorSettings
from infergraph_server.tracing.otel import Tracing

from .otlp_receiver import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.e2e_local

Message = dict[str, Any]
Tree = tuple[str, tuple[Any, ...]]
HERE = Path(__file__).parent
ROWS = {"model-a": [[1.0, 2.0]], "avg": [[4.0, 5.0]]}  # ByTotal routes to child 0, then 1
#: node -> (type, component flags)
NODES: dict[str, tuple[str, list[str]]] = {
    "pre": ("TRANSFORMER", ["--class", "graph_nodes:AddOne"]),
    "router": ("ROUTER", ["--class", "graph_nodes:ByTotal"]),
    "model-a": ("MODEL", ["--class", "graph_nodes:Scale"]),
    "avg": ("COMBINER", ["--implementation", "AVERAGE_COMBINER"]),
    "model-b": ("MODEL", ["--class", "graph_nodes:Scale"]),
    "model-c": ("MODEL", ["--class", "graph_nodes:Scale"]),
}
#: the server span a node's own call makes, by the graph's transport
CALLS = {
    "rest": {
        "TRANSFORMER": "POST /transform-input",
        "ROUTER": "POST /route",
        "COMBINER": "POST /aggregate",
        "MODEL": "POST /predict",
    },
    "grpc": {
        "TRANSFORMER": "/seldon.protos.Generic/TransformInput",
        "ROUTER": "/seldon.protos.Generic/Route",
        "COMBINER": "/seldon.protos.Generic/Aggregate",
        "MODEL": "/seldon.protos.Model/Predict",
    },
}
FRONT = {"rest": "POST /api/v1.0/predictions", "grpc": "/seldon.protos.Seldon/Predict"}


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


@pytest.fixture(scope="module")
def components(receiver: OtlpReceiver) -> Iterator[dict[str, Launch]]:
    """Every node of the graph as a traced component server."""
    with contextlib.ExitStack() as stack:
        running = {}
        for name, (type_, flags) in NODES.items():
            env = {
                "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_SERVICE_NAME": name,
                "OTEL_PROPAGATORS": "b3multi,tracecontext,baggage",
                "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                "OTEL_TRACES_SAMPLER_ARG": "1",
                "OTEL_BSP_SCHEDULE_DELAY": "50",
            }
            args = ["--name", name, "--type", type_, *flags]
            running[name] = stack.enter_context(start_component(args, env))
        yield running


def _graph(tmp: Path, components: dict[str, Launch], transport: str) -> Path:
    def n(name: str, *children: Message) -> Message:
        srv = components[name]
        implementation = "AVERAGE_COMBINER" if name == "avg" else None
        return node(name, NODES[name][0], *children, httpPort=srv.http_port,
                    grpcPort=srv.grpc_port, implementation=implementation, timeoutMs=10000,
                    retries=0)  # fmt: skip

    root = n("pre", n("router", n("model-a"), n("avg", n("model-b"), n("model-c"))))
    doc = graph_doc(root, transport=transport)
    path = tmp / f"graph-{transport}.json"
    path.write_text(json.dumps(doc))
    return path


def _walked(doc: Message, routing: dict[str, int], transport: str) -> Tree:
    """The span tree a request must make: per node walked, its span holding the node
    server's span for its own call and the spans of the children it went to."""
    name, type_ = doc["name"], doc["type"]
    children = doc["children"]
    branch = routing.get(name, -1)
    walked = children if branch < 0 else [children[branch]]
    below = [_walked(c, routing, transport) for c in walked]
    return (f"node {name}", tuple(sorted([(f"{name}: {CALLS[transport][type_]}", ()), *below])))


def _tree(span_id: str, labels: dict[str, str], children: dict[str, list[str]]) -> Tree:
    return (labels[span_id], tuple(sorted(_tree(c, labels, children) for c in children[span_id])))


def _hex(value: int, width: int) -> str:
    return format(value, f"0{width}x")


class Orchestrator:
    """The real orchestrator service on loopback HTTP and gRPC ports, traced in memory."""

    def __init__(self, graph: Path) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        propagator = CompositePropagator([B3MultiFormat(), TraceContextTextMapPropagator()])
        self.tracing = Tracing(provider, propagator)
        self.service = OrchestratorService(OrchestratorSettings(graph=str(graph)), self.tracing)

    async def __aenter__(self) -> Orchestrator:
        self.service.router.wrap("POST", self.tracing.server)  # as runner.serve does
        await asyncio.wait_for(self.service.startup(), 20)
        self.service.ready = True
        self.http = HttpServer(self.service.router)
        self.http_port = await self.http.start("127.0.0.1", 0)
        self.grpc = grpc.aio.server(interceptors=[self.tracing.interceptor()])
        for add in self.service.grpc_adders():
            add(self.grpc)
        self.grpc_port = self.grpc.add_insecure_port("127.0.0.1:0")
        await self.grpc.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.grpc.stop(0)
        await self.http.shutdown(0)
        await self.service.shutdown()
        self.tracing.shutdown()

    async def predict(self, front: str, rows: Any, headers: dict[str, str]) -> Message:
        message = {"data": {"ndarray": rows}}
        if front == "rest":
            client = HttpClient("127.0.0.1", self.http_port)
            answer = await client.request(
                "POST", "/api/v1.0/predictions", orjson.dumps(message), headers
            )
            await client.close()
            assert answer.status == 200, answer.body
            out: Message = orjson.loads(answer.body)
            return out
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            request = json_format.ParseDict(message, pb.SeldonMessage())
            reply = await rpc.SeldonStub(channel).Predict(
                request, metadata=tuple(headers.items()), timeout=10
            )
        return json_format.MessageToDict(reply)

    def spans(self, trace_id: str) -> list[ReadableSpan]:
        return [
            s
            for s in self.exporter.get_finished_spans()
            if s.context is not None and _hex(s.context.trace_id, 32) == trace_id
        ]


#: (front, incoming headers(trace id, parent span id), branch)
REQUESTS = [
    ("rest", lambda t, p: {"traceparent": f"00-{t}-{p}-01", "tracestate": "ours=1"}, "avg"),
    ("rest", lambda t, p: {"x-b3-traceid": t, "x-b3-spanid": p, "x-b3-sampled": "1"}, "model-a"),
    ("grpc", lambda t, p: {"b3": f"{t}-{p}-1"}, "avg"),
    ("grpc", lambda t, p: {"traceparent": f"00-{t}-{p}-01"}, "model-a"),
]


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_one_request_makes_one_trace_shaped_like_the_graph(
    tmp_path: Path,
    transport: str,
    components: dict[str, Launch],
    receiver: OtlpReceiver,
) -> None:
    graph = _graph(tmp_path, components, transport)
    root_doc = json.loads(graph.read_text())["root"]

    async def scenario() -> None:
        async with Orchestrator(graph) as orch:
            for front, headers, branch in REQUESTS:
                trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
                out = await orch.predict(front, ROWS[branch], headers(trace_id, parent))
                routing = out["meta"]["routing"]
                assert routing["router"] == ["model-a", "avg"].index(branch)
                local = orch.spans(trace_id)
                want = _walked(root_doc, routing, transport)
                remote = receiver.wait(trace_id, len(local) - 1)  # a server span per node span
                state = headers(trace_id, parent).get("tracestate", "")
                assert {r.trace_state for r in remote} == {state}  # W3C tracestate goes along
                check(local, remote, parent, (FRONT[front], (want,)))

    asyncio.run(asyncio.wait_for(scenario(), 60))


def check(local: list[ReadableSpan], remote: list[ReceivedSpan], parent: str, want: Tree) -> None:
    """One trace: the orchestrator's server span continues the caller's span `parent`, its
    node spans and the node servers' spans form the tree `want`, every node span is OK."""
    labels: dict[str, str] = {}
    parents: dict[str, str] = {}
    for s in local:
        assert s.context is not None and s.parent is not None
        span_id = _hex(s.context.span_id, 16)
        parents[span_id] = _hex(s.parent.span_id, 16)
        labels[span_id] = s.name if s.name == want[0] else f"node {s.name}"
    for r in remote:
        labels[r.span_id] = f"{r.service}: {r.name}"
        parents[r.span_id] = r.parent_id
    fronts = [span_id for span_id, label in labels.items() if label == want[0]]
    assert len(fronts) == 1 and parents[fronts[0]] == parent
    children: dict[str, list[str]] = {span_id: [] for span_id in labels}
    for span_id, parent_id in parents.items():
        if span_id != fronts[0]:
            children[parent_id].append(span_id)  # KeyError: a span outside the trace's tree
    assert _tree(fronts[0], labels, children) == want
    for s in local:
        attributes = dict(s.attributes or {})
        if s.name == want[0]:
            continue
        assert s.status.status_code == StatusCode.OK
        assert attributes["infergraph.node.name"] == s.name
        assert attributes["infergraph.node.type"] == NODES[s.name][0]
        if s.name == "router":
            chosen = [label for label in labels.values() if label in ("node model-a", "node avg")]
            assert attributes["infergraph.node.route"] == chosen[0].removeprefix("node ")
            assert attributes["infergraph.node.routing"] == ["model-a", "avg"].index(
                attributes["infergraph.node.route"]
            )
