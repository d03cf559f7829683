"""The seam between the graph executor and the node servers (httpx-style transports).

A transport sends one JSON body to one node and returns the node's status and body. It raises
`ConnectionError` (or another `OSError`) only when no answer came back, which is the one case
the executor retries. `InProcessTransport` runs node handlers in the same event loop, so graph
tests need no sockets; `HttpTransport` (httpclient.py) is the real one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import NamedTuple, Protocol

from .graph import RuntimeNode

__all__ = ["Handler", "InProcessTransport", "Response", "Transport"]


class Response(NamedTuple):
    """A node's answer: HTTP status and raw body."""

    status: int
    body: bytes


class Transport(Protocol):
    """Calls graph nodes; one instance per orchestrator, shared by all requests."""

    async def send(self, node: RuntimeNode, path: str, body: bytes) -> Response:
        """POST `body` to `path` on `node`; raise OSError when the node gave no answer."""
        ...

    async def aclose(self) -> None:
        """Close pooled connections."""
        ...


#: An in-process node: `(path, body) -> Response`.
Handler = Callable[[str, bytes], Awaitable[Response]]


class InProcessTransport:
    """Routes each call to a handler registered under the node's name; no sockets.

    A node with no handler behaves like a stopped process: the call raises
    `ConnectionRefusedError`. `calls` records `(node, path)` in order, for assertions.
    """

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self.handlers = dict(handlers)
        self.calls: list[tuple[str, str]] = []

    async def send(self, node: RuntimeNode, path: str, body: bytes) -> Response:
        self.calls.append((node.name, path))
        handler = self.handlers.get(node.name)
        if handler is None:
            raise ConnectionRefusedError(f"no handler for node {node.name!r}")
        return await handler(path, body)

    async def aclose(self) -> None:
        self.handlers.clear()
