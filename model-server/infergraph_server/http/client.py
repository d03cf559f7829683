"""Keep-alive HTTP/1.1 client pool on asyncio + httptools, for calling other servers fast."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping

import httptools

from infergraph_server.http.sockets import nodelay_transport

__all__ = ["HttpClient", "HttpClientError", "HttpResponse"]


class HttpClientError(Exception):
    """The peer could not be reached, closed the connection or did not answer in time."""


class HttpResponse:
    """Status, lower-case headers and the whole body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


class _ClientConnection(asyncio.Protocol):
    """One keep-alive connection; it keeps no response headers (httptools calls no
    `on_header` per header of a protocol without one): `_HeadersConnection` keeps them."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.future: asyncio.Future[HttpResponse] | None = None
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.got_bytes = False
        self.reusable = False
        self.head = False  # answering a HEAD: no body follows, whatever content-length says

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = nodelay_transport(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.future is not None and not self.future.done():
            self.future.set_exception(HttpClientError(f"connection closed: {exc or 'by peer'}"))

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self.future is not None and not self.future.done():
                self.future.set_exception(HttpClientError(f"malformed response: {exc}"))
            if self.transport is not None:
                self.transport.close()
            return
        if self.head and self.future is not None and self.future.done():
            # The parser still waits for the body content-length announced; start afresh.
            self.head = False
            self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if self.head and status >= 200:
            self._complete(status, b"")

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # an interim answer (100 Continue): the real one follows
            self.headers = {}
            self.body = []
            return
        self._complete(status, b"".join(self.body))

    def _complete(self, status: int, body: bytes) -> None:
        self.reusable = self.parser.should_keep_alive()
        if self.future is not None and not self.future.done():
            self.future.set_result(HttpResponse(status, self.headers, body))

    def send(self, data: bytes, head: bool) -> asyncio.Future[HttpResponse]:
        assert self.transport is not None
        self.future = asyncio.get_running_loop().create_future()
        self.headers = {}
        self.body = []
        self.got_bytes = False
        self.reusable = False
        self.head = head
        self.transport.write(data)
        return self.future


class _HeadersConnection(_ClientConnection):
    """A connection that keeps the response headers (lower-case names)."""

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")


class HttpClient:
    """A pool of keep-alive connections to one host:port.

    `max_connections` bounds concurrent requests; extra callers wait for a free connection.
    A request on a reused connection that the peer closed before answering is retried once
    on a fresh connection (the usual keep-alive race), so callers see no spurious errors.
    """

    def __init__(
        self,
        host: str,
        port: int,
        max_connections: int = 64,
        timeout: float | None = 10.0,
        tls: ssl.SSLContext | None = None,
        headers: Mapping[str, str] | None = None,
        keep_headers: bool = True,
    ) -> None:
        """`tls`: speak HTTPS with this context (the host name is checked against it).
        `timeout` None: no deadline of its own, for a caller that sets its own around
        `request` (one timer per request, not two). `headers`: sent with every request,
        encoded once here. `keep_headers` False: answers carry no headers (none are parsed),
        for a caller that reads only status and body."""
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
        self._idle: deque[_ClientConnection] = deque()
        self._free = max_connections  # connections that may be opened or lent now
        self._waiters: deque[asyncio.Future[None]] = deque()  # callers waiting for one
        # the host header's value and the fixed header lines after it
        self._fixed = f"{host}:{port}".encode("latin-1") + b"\r\n" + _encode(headers)
        self._protocol = _HeadersConnection if keep_headers else _ClientConnection

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        """Send one request and return the whole response; raises `HttpClientError`."""
        data = b"%s %s HTTP/1.1\r\nhost: %s%scontent-length: %d\r\n\r\n%s" % (
            method.encode(),
            path.encode(),
            self._fixed,
            _encode(headers) if headers else b"",
            len(body),
            body,
        )
        limit = self.timeout if timeout is None else timeout
        if self._free and not self._waiters:
            self._free -= 1
        else:
            await self._wait_for_slot()
        try:
            if limit is None:
                return await self._exchange(data, method == "HEAD")
            try:
                async with asyncio.timeout(limit):
                    return await self._exchange(data, method == "HEAD")
            except TimeoutError:
                raise HttpClientError(
                    f"no answer from {self.host}:{self.port}{path} in time"
                ) from None
        finally:
            self._release_slot()

    async def _wait_for_slot(self) -> None:
        """Wait until a request that holds a slot hands its slot over (first come, first
        served). A counter and this queue instead of asyncio.Semaphore: its acquire and
        release are six Python calls on every request, these are none while slots are free."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release_slot()  # handed a slot as it was cancelled: pass it on
            else:
                self._waiters.remove(waiter)
            raise

    def _release_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    async def _exchange(self, data: bytes, head: bool) -> HttpResponse:
        while self._idle:
            conn = self._idle.pop()
            if conn.transport is None:
                continue
            try:
                return await self._finish(conn, conn.send(data, head))
            except HttpClientError:
                if conn.got_bytes:
                    raise
        conn = await self._connect()
        return await self._finish(conn, conn.send(data, head))

    async def _finish(
        self, conn: _ClientConnection, future: asyncio.Future[HttpResponse]
    ) -> HttpResponse:
        try:
            response = await future
        except BaseException:
            if conn.transport is not None:
                conn.transport.close()
            raise
        if conn.reusable and conn.transport is not None:
            self._idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()
        return response

    async def _connect(self) -> _ClientConnection:
        loop = asyncio.get_running_loop()
        try:
            if self.tls is None:
                _, conn = await loop.create_connection(self._protocol, self.host, self.port)
            else:
                _, conn = await loop.create_connection(
                    self._protocol, self.host, self.port, ssl=self.tls
                )
        except OSError as exc:
            raise HttpClientError(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        return conn

    async def close(self) -> None:
        """Close the idle connections."""
        while self._idle:
            conn = self._idle.pop()
            if conn.transport is not None:
                conn.transport.close()


def _encode(headers: Mapping[str, str] | None) -> bytes:
    """Header lines on the wire."""
    return b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in (headers or {}).items())
