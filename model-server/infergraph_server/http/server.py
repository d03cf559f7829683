"""HTTP/1.1 server at the protocol level: httptools parser, keep-alive, pipelining, body limit.

No framework sits between the socket and the handler: a request is parsed by httptools,
routed with one dict lookup and answered with one `transport.write`. That is what lets a
single Python process serve many thousands of small predictions a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from http import HTTPStatus
from typing import Any

import httptools
import orjson

from infergraph_server.http.router import Router
from infergraph_server.http.sockets import nodelay_transport

__all__ = ["HttpError", "HttpServer", "Request", "Response", "json_response"]

log = logging.getLogger(__name__)

_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}
_PIPELINE_LIMIT = 32  # queued pipelined requests before reading pauses


class HttpError(Exception):
    """An error that carries its HTTP status; answered as `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """One parsed request; header names are lower case."""

    __slots__ = ("body", "headers", "method", "params", "path", "query")

    def __init__(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.params: dict[str, str] = {}


class Response:
    """Status, body bytes, content type and any extra headers."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str = "application/json",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = headers


def json_response(obj: Any, status: int = 200) -> Response:
    """Serialise `obj` with orjson (numpy arrays included) into a JSON response."""
    return Response(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY), status)


def _encode(response: Response, keep_alive: bool, head_only: bool) -> bytes:
    body = response.body
    parts = [
        b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n"
        % (
            response.status,
            _REASONS.get(response.status, b"Unknown"),
            response.content_type.encode("latin-1"),
            len(body),
        )
    ]
    if response.headers:
        parts.extend(f"{k}: {v}\r\n".encode("latin-1") for k, v in response.headers)
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if not head_only:
        parts.append(body)
    return b"".join(parts)


class _TooLargeError(Exception):
    pass


class _Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0
        self.queue: deque[tuple[Request, bool]] = deque()
        self.busy = False
        self.closing = False

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = nodelay_transport(transport)
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.transport = None
        self.queue.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _TooLargeError):  # httptools wraps callback errors
                self._fail(413, f"request body exceeds {self.server.max_body_bytes} bytes")
            else:
                self._fail(400, f"malformed HTTP request: {exc.__context__ or exc}")
        except httptools.HttpParserUpgrade:
            self._fail(400, "protocol upgrade is not supported")
        except httptools.HttpParserError as exc:
            self._fail(400, f"malformed HTTP request: {exc}")

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = {}
        self.body = []
        self.size = 0

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        length = self.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.server.max_body_bytes:
            raise _TooLargeError

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.server.max_body_bytes:
            raise _TooLargeError
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self.url)
        path = url.path.decode("latin-1")
        query = url.query.decode("latin-1") if url.query else ""
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        method = self.parser.get_method().decode("latin-1")
        request = Request(method, path, query, self.headers, body)
        keep_alive = self.parser.should_keep_alive()
        if self.busy:
            self.queue.append((request, keep_alive))
            if len(self.queue) > _PIPELINE_LIMIT and self.transport is not None:
                self.transport.pause_reading()
            return
        self.busy = True
        self.server.inflight += 1
        asyncio.get_running_loop().create_task(self._serve(request, keep_alive))

    # request handling
    async def _serve(self, request: Request, keep_alive: bool) -> None:
        while True:
            response = await self.server.dispatch(request)
            transport = self.transport
            if transport is None:
                break
            keep_alive = keep_alive and not self.closing
            transport.write(_encode(response, keep_alive, request.method == "HEAD"))
            if not keep_alive:
                transport.close()
                break
            if not self.queue:
                break
            request, keep_alive = self.queue.popleft()
            if len(self.queue) == _PIPELINE_LIMIT:
                transport.resume_reading()
        self.busy = False
        self.server.inflight -= 1
        self.server.idle.set()

    def _fail(self, status: int, message: str) -> None:
        if self.transport is not None:
            body = orjson.dumps({"error": message})
            self.transport.write(_encode(Response(body, status), False, False))
            self.transport.close()

    def close_when_idle(self) -> None:
        """Close now if idle, else after the response being worked on (used on shutdown)."""
        self.closing = True
        if not self.busy and self.transport is not None:
            self.transport.close()


class HttpServer:
    """Serves a `Router` on one listening socket (SO_REUSEPORT, so worker processes share it)."""

    def __init__(self, router: Router, max_body_bytes: int = 10 * 1024 * 1024) -> None:
        self.router = router
        self.max_body_bytes = max_body_bytes
        self.connections: set[_Connection] = set()
        self.inflight = 0
        self.idle = asyncio.Event()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int, reuse_port: bool = True) -> int:
        """Listen on host:port (0 picks a free port) and return the port bound."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), host, port, reuse_port=reuse_port, backlog=2048
        )
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def dispatch(self, request: Request) -> Response:
        """Route and run one request; errors become JSON error responses, never a crash."""
        handler, params, known = self.router.match(request.method, request.path)
        if handler is None:
            status = 405 if known else 404
            text = "method not allowed" if known else f"no route for {request.path}"
            return Response(orjson.dumps({"error": text}), status)
        request.params = params
        try:
            return await handler(request)
        except HttpError as exc:
            return Response(orjson.dumps({"error": exc.message}), exc.status)
        except Exception as exc:
            log.exception("unhandled error in %s %s", request.method, request.path)
            return Response(orjson.dumps({"error": f"internal error: {exc}"}), 500)

    async def shutdown(self, grace_seconds: float) -> None:
        """Stop accepting, let in-flight requests finish (up to the grace period), close all."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close_when_idle()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        while self.inflight and loop.time() < deadline:
            self.idle.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.idle.wait(), deadline - loop.time())
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
