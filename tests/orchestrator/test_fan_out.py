"""A fan-out sends every child the very same request bytes, encoded once, in either protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from runtime_graph import node

from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.transport import Handler, InProcessTransport, Response

from .nodes import graph

Message = dict[str, Any]


def echo(bodies: dict[str, bytes], name: str, v2: bool) -> Handler:
    """A node that records the body object it was sent and answers its input back."""

    async def handle(path: str, body: bytes) -> Response:
        bodies[name] = body
        doc = orjson.loads(body)
        if path == "/aggregate":
            return Response(200, orjson.dumps(doc["seldonMessages"][0]))
        if v2:
            return Response(200, orjson.dumps({"model_name": name, "outputs": doc["inputs"]}))
        return Response(200, orjson.dumps({"data": doc["data"]}))

    return handle


@pytest.mark.parametrize("protocol", ["seldon", "v2"])
def test_combiner_children_share_one_encoded_body(protocol: str) -> None:
    v2 = protocol == "v2"
    root = node("avg", "COMBINER", node("a"), node("b"), node("c"))
    bodies: dict[str, bytes] = {}
    transport = InProcessTransport({n: echo(bodies, n, v2) for n in ("avg", "a", "b", "c")})
    if v2:
        message: Message = {"inputs": [{"name": "x", "datatype": "FP64", "shape": [1, 2],
                                        "data": [1.0, 2.0]}]}  # fmt: skip
    else:
        message = {"data": {"ndarray": [[1.0, 2.0]]}, "meta": {"puid": "p-9"}}
    out = asyncio.run(Executor(graph(root, protocol=protocol), transport).predict(message))
    assert bodies["a"] is bodies["b"] is bodies["c"]
    sent = orjson.loads(bodies["a"])
    if v2:
        assert sent == message
    else:
        assert sent == {"data": {"ndarray": [[1.0, 2.0]]}, "meta": {"puid": "p-9"}}
        assert out["data"] == {"ndarray": [[1.0, 2.0]]}
    assert bodies["avg"] is not bodies["a"]
