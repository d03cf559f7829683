"""Tracing is off unless the OTEL_* environment names an endpoint, and off means absent:
real server processes never import OpenTelemetry (`-X importtime` lists every import);
on, without OpenTelemetry installed, a server refuses to start with one line naming the
variable and the extra. And a failing node's span says so (in process, no sockets)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import orjson
import pytest
from loopback import free_port
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from runtime_graph import graph_doc, node
from servers import start_component, start_orchestrator

from infergraph_server.orchestrator.errors import NodeError
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.transport import InProcessTransport
from infergraph_server.tracing import enabled
from infergraph_server.tracing.otel import Tracing

from .nodes import graph, seldon_node
from .otlp_receiver import OtlpReceiver

HERE = Path(__file__).parent
ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


def _served_imports(env: dict[str, str], tmp: Path) -> str:
    """What a component and an orchestrator in front of it import while serving a request."""
    env = {**env, "PYTHONPROFILEIMPORTTIME": "1", "PYTHONPATH": str(HERE)}
    args = ["--name", "m", "--class", "graph_nodes:Scale"]
    logs = (tmp / "component.log", tmp / "orchestrator.log")
    with start_component(args, env, log=logs[0]) as srv:
        root = node("m", httpPort=srv.http_port, grpcPort=srv.grpc_port)
        path = tmp / "graph.json"
        path.write_text(json.dumps(graph_doc(root)))
        with start_orchestrator(path, env=env, log=logs[1]) as orch:
            body = b'{"data":{"ndarray":[[1]]}}'
            request = urllib.request.Request(orch.url + "/api/v1.0/predictions", body)
            with urllib.request.urlopen(request, timeout=10) as answer:
                out = orjson.loads(answer.read())
            assert out["data"]["ndarray"] == [[1.0]]
    return "".join(log.read_text(errors="replace") for log in logs)


@pytest.mark.e2e_local
@pytest.mark.parametrize("on", [False, True])
def test_servers_import_opentelemetry_only_when_tracing_is_on(tmp_path: Path, on: bool) -> None:
    with OtlpReceiver() as receiver:
        env = {ENDPOINT: receiver.endpoint if on else "", "OTEL_SERVICE_NAME": "s"}
        imports = _served_imports(env, tmp_path)
        names = set(re.findall(r"^import time: .*\| +(\S+)$", imports, re.MULTILINE))
        assert "infergraph_server.orchestrator.executor" in names  # the log is the servers'
        assert ("opentelemetry.sdk.trace" in names) is on
        assert ("infergraph_server.tracing.otel" in names) is on
        assert not on or any(n.startswith("opentelemetry") for n in names)
        assert on or not any(n.startswith("opentelemetry") for n in names)
        # on: both processes exported their request's spans as they stopped
        received = {s.name for s in receiver.spans}
        assert received == ({"POST /api/v1.0/predictions", "m", "POST /predict"} if on else set())


def test_enabled_reads_the_endpoint_variables_and_the_sdk_switch() -> None:
    assert not enabled({})
    assert not enabled({ENDPOINT: ""})
    assert enabled({ENDPOINT: "http://collector:4318"})
    assert enabled({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    assert not enabled({ENDPOINT: "http://collector:4318", "OTEL_SDK_DISABLED": "true"})


@pytest.mark.e2e_local
def test_tracing_on_without_opentelemetry_refuses_to_start() -> None:
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"  # as if it were not installed
        "from infergraph_server.cli import main\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    args = ["component", "--class", "graph_nodes:Scale", "--host", "127.0.0.1",
            "--http-port", str(free_port()), "--grpc-port", "0", "--metrics-port", "0"]  # fmt: skip
    env = {**os.environ, ENDPOINT: "http://127.0.0.1:9", "PYTHONPATH": str(HERE)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        f"{ENDPOINT}: set, so requests are traced, but opentelemetry is not installed; "
        "pip install 'infergraph-server[tracing]', or unset it"
    ) in done.stderr


def test_a_failing_node_span_is_an_error_with_the_answered_status() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def broken(path: str, msg: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 500, {"error": "boom"}

    handlers = {
        "a": seldon_node(lambda path, msg: msg),
        "b": seldon_node(broken),
    }
    executor = Executor(
        graph(node("a", "MODEL", node("b"))),
        InProcessTransport(handlers),
        tracing=Tracing(provider),
    )
    with pytest.raises(NodeError):
        asyncio.run(executor.predict({"data": {"ndarray": [[1]]}}))
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"a", "b"}
    for name in ("a", "b"):
        assert spans[name].status.status_code == StatusCode.ERROR
        assert "node 'b' answered /predict with 500: boom" in (spans[name].status.description or "")
        assert (spans[name].attributes or {})["http.response.status_code"] == 502
    assert spans["b"].parent is not None and spans["a"].context is not None
    assert spans["b"].parent.span_id == spans["a"].context.span_id
