"""Payload logging off means absent: an orchestrator whose graph logs nothing never imports
the `cloudevents` SDK and registers no logging metrics (`-X importtime` lists every import of
the real process); the same graph with a logged node does both. The time logging on costs a
request is a figure of bench/bench_orchestrator.py, not a test."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import orjson
import pytest
from loopback_http import QuietHandler, serving
from runtime_graph import graph_doc, node
from servers import start_component, start_orchestrator

pytestmark = pytest.mark.e2e_local

HERE = Path(__file__).parent
LOGGING = {
    "sampleRate": 1.0,
    "queueSize": 100,
    "senders": 1,
    "retries": 0,
    "backoffMs": 1,
    "timeoutMs": 1000,
    "source": "http://g-main:9000/",
}


class _Accept(QuietHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.answer(202, b"")


def _served(logged: bool, receiver: str, tmp: Path) -> tuple[set[str], str]:
    """(modules the orchestrator imported, its /metrics text) after one prediction."""
    env = {"PYTHONPROFILEIMPORTTIME": "1", "PYTHONPATH": str(HERE)}
    args = ["--name", "m", "--class", "graph_nodes:Scale"]
    log = tmp / "orchestrator.log"
    with start_component(args, env, log=tmp / "component.log") as srv:
        logger = {"mode": "all", "url": receiver} if logged else None
        root = node("m", httpPort=srv.http_port, grpcPort=srv.grpc_port, logger=logger)
        path = tmp / "graph.json"
        path.write_text(json.dumps(graph_doc(root, logging=LOGGING if logged else None)))
        with start_orchestrator(path, env=env, log=log) as orch:
            body = b'{"data":{"ndarray":[[1]]}}'
            request = urllib.request.Request(orch.url + "/api/v1.0/predictions", body)
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert orjson.loads(answer.read())["data"]["ndarray"] == [[1.0]]
            with urllib.request.urlopen(orch.metrics_url, timeout=5) as answer:
                metrics = answer.read().decode()
    imports = log.read_text(errors="replace")
    return set(re.findall(r"^import time: .*\| +(\S+)$", imports, re.MULTILINE)), metrics


@pytest.mark.parametrize("logged", [False, True], ids=["off", "on"])
def test_the_orchestrator_does_logging_work_only_when_a_node_is_logged(
    tmp_path: Path, logged: bool
) -> None:
    with serving(_Accept) as port:
        names, metrics = _served(logged, f"http://127.0.0.1:{port}/", tmp_path)
    assert "infergraph_server.orchestrator.executor" in names  # the log is the orchestrator's
    assert any(n.startswith("cloudevents") for n in names) is logged
    assert ("infergraph_log_events_dropped" in metrics) is logged
