"""Runtime-graph builders and in-process Seldon node handlers for the orchestrator tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from infergraph_server.orchestrator.graph import RuntimeGraph, parse_graph
from infergraph_server.orchestrator.transport import Handler, Response

__all__ = ["graph", "node", "seldon_node"]

Message = dict[str, Any]


def node(name: str, type_: str = "MODEL", *children: Message, **extra: Any) -> Message:
    """A runtime-graph node document on loopback with short timeouts."""
    doc: Message = {
        "name": name,
        "type": type_,
        "implementation": None,
        "image": f"example/{name}:1",
        "host": "127.0.0.1",
        "httpPort": 9,
        "grpcPort": 0,
        "timeoutMs": 1000,
        "retries": 2,
        "children": list(children),
    }
    doc.update(extra)
    return doc


def graph(root: Message, max_concurrency: int = 64, protocol: str = "seldon") -> RuntimeGraph:
    return parse_graph(
        {
            "graph": "g",
            "predictor": "main",
            "protocol": protocol,
            "transport": "rest",
            "maxConcurrency": max_concurrency,
            "maxBodyBytes": 1 << 20,
            "root": root,
        }
    )


def seldon_node(
    answer: Callable[[str, Message], Message | tuple[int, Message]],
    delay: float = 0.0,
    seen: list[tuple[str, Message]] | None = None,
) -> Handler:
    """A handler that decodes the request, calls `answer(path, message)` and encodes the result."""

    async def handle(path: str, body: bytes) -> Response:
        message = orjson.loads(body)
        if seen is not None:
            seen.append((path, message))
        if delay:
            await asyncio.sleep(delay)
        out = answer(path, message)
        status, doc = out if isinstance(out, tuple) else (200, out)
        return Response(status, orjson.dumps(doc))

    return handle
