"""Runtime-graph builders and in-process Seldon node handlers for the orchestrator tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from infergraph_server.orchestrator.graph import RuntimeGraph, parse_graph
from infergraph_server.orchestrator.transport import Handler, Response

__all__ = ["graph", "graph_doc", "node", "seldon_node", "with_protocols"]

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
        "readinessPath": "/v2/health/ready",
        "fallback": False,
        "timeoutMs": 1000,
        "retries": 2,
        "logger": None,
        "children": list(children),
    }
    doc.update(extra)
    return doc


def with_protocols(doc: Message, protocol: str) -> Message:
    """`doc` with a `protocol` on every node that has none, as the compiler writes it: the
    graph's, except for routers and combiners (Seldon only)."""
    seldon_only = doc["type"] in ("ROUTER", "COMBINER")
    return {
        **doc,
        "protocol": doc.get("protocol") or ("seldon" if seldon_only else protocol),
        "children": [with_protocols(c, protocol) for c in doc["children"]],
    }


def graph_doc(root: Message, max_concurrency: int = 64, protocol: str = "seldon") -> Message:
    """A runtime graph document around `root`."""
    return {
        "graph": "g",
        "predictor": "main",
        "protocol": protocol,
        "transport": "rest",
        "maxConcurrency": max_concurrency,
        "maxBodyBytes": 1 << 20,
        "probePeriodMs": 50,
        "logging": None,
        "root": with_protocols(root, protocol),
    }


def graph(root: Message, max_concurrency: int = 64, protocol: str = "seldon") -> RuntimeGraph:
    return parse_graph(graph_doc(root, max_concurrency, protocol))


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
