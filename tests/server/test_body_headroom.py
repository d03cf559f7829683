"""A body at the limit passes the orchestrator and its node alike (the orchestrator adds
`meta.puid` to what it forwards; nodes read NODE_BODY_HEADROOM beyond the limit for it)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from bad_inputs import SELDON_PATH
from conftest import IRIS_ROW
from servers import Launch, start_component, start_orchestrator, write_graph

pytestmark = pytest.mark.e2e_local

LIMIT = 4096


def _body(size: int) -> bytes:
    """A compact Seldon message of exactly `size` bytes (padded in a feature name, which the
    orchestrator forwards as it is, unlike whitespace)."""
    doc = {"data": {"names": [""], "ndarray": [IRIS_ROW]}}
    bare = json.dumps(doc, separators=(",", ":"))
    doc["data"]["names"] = ["x" * (size - len(bare))]
    body = json.dumps(doc, separators=(",", ":")).encode()
    assert len(body) == size
    return body


def _status(server: Launch, body: bytes) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=30)
    try:
        conn.request("POST", SELDON_PATH, body, {"Content-Type": "application/json"})
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_a_body_at_the_limit_passes_the_orchestrator_and_its_node(
    iris_dir: Path, tmp_path: Path, transport: str
) -> None:
    limit = ["--max-body-bytes", str(LIMIT)]
    node_args = [
        "--name",
        "iris",
        "--implementation",
        "SKLEARN_SERVER",
        "--model-uri",
        str(iris_dir),
    ]
    node_args += limit
    with start_component(node_args) as node:
        graph = write_graph(tmp_path / "g.json", node, transport=transport, max_body_bytes=LIMIT)
        with start_orchestrator(graph, limit) as orchestrator:
            for server in (node, orchestrator):
                status, text = _status(server, _body(LIMIT))
                assert status == 200, text
            status, text = _status(orchestrator, _body(LIMIT + 1))
            assert status == 413 and f"exceeds {LIMIT} bytes" in text
