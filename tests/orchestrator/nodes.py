"""Parsed runtime graphs and in-process Seldon node handlers for the orchestrator tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from runtime_graph import graph_doc

from infergraph_server.orchestrator.graph import RuntimeGraph, parse_graph
from infergraph_server.orchestrator.transport import Handler, Response

__all__ = ["graph", "seldon_node"]

Message = dict[str, Any]


def graph(root: Message, max_concurrency: int = 64, protocol: str = "seldon") -> RuntimeGraph:
    """The parsed runtime graph around `root`."""
    return parse_graph(graph_doc(root, protocol, maxConcurrency=max_concurrency))


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
