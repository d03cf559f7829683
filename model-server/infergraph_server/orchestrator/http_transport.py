"""`HttpTransport`: the real transport, one keep-alive `HttpClient` pool per node server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infergraph_server.http import HttpClient, HttpClientError

from .graph import RuntimeNode
from .transport import Response

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["HttpTransport"]

_JSON = {"content-type": "application/json"}  # every call's header, encoded once per pool


class HttpTransport:
    """Calls nodes over HTTP/1.1; any failure to get an answer becomes a `ConnectionError`.

    The executor owns the per-node deadline (around every `send`), so the pools set none of
    their own: a second timer per call was pure cost. The executor reads only status and
    body, so the pools parse no answer headers. With `tracing`, each call carries the current
    trace context in its headers.
    """

    def __init__(self, max_connections: int, tracing: Tracing | None = None) -> None:
        self.max_connections = max_connections
        self.tracing = tracing
        self._clients: dict[str, HttpClient] = {}

    async def send(self, node: RuntimeNode, path: str, body: bytes) -> Response:
        client = self._clients.get(node.name)
        if client is None:
            client = HttpClient(
                node.host, node.http_port, self.max_connections, None, headers=_JSON,
                keep_headers=False,
            )  # fmt: skip
            self._clients[node.name] = client
        try:
            headers = None if self.tracing is None else self.tracing.headers({})
            answer = await client.request("POST", path, body, headers)
        except HttpClientError as exc:
            raise ConnectionError(str(exc)) from None
        return Response(answer.status, answer.body)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
