"""One HTTP/1.1 client connection: parse within limits, answer in order, close cleanly.

Every request read gets its answer, in order; a request that cannot be served (malformed,
too large, too slow) gets its error answer after the answers owed before it, and then the
connection closes. Closing is graceful ("lingering", as nginx does): our write side is shut
and whatever the client still sends is read and dropped for a moment, so a client that is
still sending sees our answer instead of a reset.

Hot path: no timers per request (`HttpServer` sweeps the connections for timeouts) and a few
integer checks per header.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

import httptools

from infergraph_server.http.messages import (
    Request,
    encode_response,
    error_response,
)
from infergraph_server.http.sockets import nodelay_transport

if TYPE_CHECKING:
    from infergraph_server.http.server import HttpServer

__all__ = ["Connection"]

PIPELINE_LIMIT = 32  # queued pipelined requests before reading pauses
LINGER_SECONDS = 2.0  # after our last answer, what the client still sends is dropped this long
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
# phases of the request being read
IDLE, HEAD, BODY = 0, 1, 2


class _Refused(Exception):
    """Raised from a parser callback: the request is refused with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Connection(asyncio.Protocol):
    """One client connection (created by `HttpServer` for each accepted socket)."""

    __slots__ = (  # fixed attributes: quicker to reach, and small for 10,000 connections
        "begun",
        "body",
        "broken",
        "busy",
        "closing",
        "eof",
        "expecting",
        "failure",
        "head_reads",
        "headers",
        "limits",
        "max_body",
        "max_count",
        "max_head",
        "max_header",
        "max_line",
        "max_unchecked",
        "owed",
        "parser",
        "phase",
        "queue",
        "read",
        "server",
        "since",
        "size",
        "transport",
        "url",
        "watched",
    )

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        limits = self.limits = server.limits
        self.max_body = limits.max_body_bytes  # the limits as plain attributes: read per request
        self.max_line = limits.max_request_line_bytes
        self.max_header = limits.max_header_bytes
        self.max_count = limits.max_header_count
        self.max_head = limits.max_head_bytes
        # A header block no larger than this cannot pass any size limit: no need to measure it.
        self.max_unchecked = min(self.max_line, self.max_header, self.max_head)
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url: list[bytes] = []
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.size = 0  # body bytes of the request being read
        self.head_reads = 0  # bytes of earlier reads that fell wholly inside its header block
        self.read = 0  # bytes of the read being parsed
        self.phase = IDLE
        self.begun = 0  # requests begun on this connection
        self.queue: deque[tuple[Request, bool]] = deque()
        self.busy = False
        self.closing = False  # shutting down: close after the answer being worked on
        self.eof = False  # the client shut its side: answer what was read, then close
        self.broken = False  # no more requests: later bytes are dropped
        self.failure: bytes | None = None  # a final error answer owed after the queued ones
        self.expecting = False  # a 100 Continue owed once the answers before it are out
        self.owed = False  # any of the three above: act once the answers before are out
        self.watched: tuple[int, int] | None = None  # timeout sweep: the state last seen
        self.since = 0.0  # and since when

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = nodelay_transport(transport)
        if not self.server.admit(self):
            self.broken = True
            self.transport.write(
                encode_response(error_response(503, "server at its connection limit"), False, False)
            )
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.release(self)
        self.transport = None
        self.queue.clear()

    def eof_received(self) -> bool | None:
        if self.busy and not self.broken:
            self.eof = self.owed = True
            return True  # keep our side open for the answers still owed
        return None

    def data_received(self, data: bytes) -> None:
        if self.broken:
            return
        in_head = self.phase == HEAD
        begun = self.begun
        self.read = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__  # httptools wraps what a callback raised
            if isinstance(cause, _Refused):
                self.fail(cause.status, cause.message)
            else:
                self.fail(400, f"malformed HTTP request: {cause or exc}")
            return
        except httptools.HttpParserUpgrade:
            self.fail(400, "protocol upgrade is not supported")
            return
        except httptools.HttpParserError as exc:
            self.fail(400, f"malformed HTTP request: {exc}")
            return
        if in_head and self.phase == HEAD and self.begun == begun:
            # The parser keeps a header it has not finished to itself (and grows it by
            # concatenation): count the bytes here, so that stops at the limit.
            self.head_reads += self.read
            if self.head_reads > self.max_head:
                status, message = self._head_problem()
                self.fail(status, message or f"request headers exceed {self.max_head} bytes")

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.url = []
        self.headers = {}
        self.body = []
        self.size = 0
        self.head_reads = 0
        self.phase = HEAD
        self.begun += 1

    def on_url(self, url: bytes) -> None:
        self.url.append(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.phase = BODY
        headers = self.headers
        if len(headers) > self.max_count or self.head_reads + self.read > self.max_unchecked:
            status, message = self._head_problem()  # the block may be over a limit: measure
            if message:
                raise _Refused(status, message)
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            raise _Refused(413, f"request body exceeds {self.max_body} bytes")
        if "expect" in headers:
            self._expect(headers["expect"], length)

    def _head_problem(self) -> tuple[int, str]:
        """(status, what is wrong) with the request target and headers read so far, or
        (431, "") when nothing is. Headers are measured as kept: a repeated name, its last value.
        """
        target = sum(map(len, self.url))
        if target > self.max_line:
            return 414, f"request target exceeds {self.max_line} bytes"
        if len(self.headers) > self.max_count:
            return 431, f"more than {self.max_count} request headers"
        sizes = [len(name) + len(value) for name, value in self.headers.items()]
        if max(sizes, default=0) > self.max_header:
            return 431, f"a request header exceeds {self.max_header} bytes"
        if target + sum(sizes) > self.max_head:
            return 431, f"request headers exceed {self.max_head} bytes"
        return 431, ""

    def _expect(self, expectation: str, length: str | None) -> None:
        """`Expect: 100-continue`: the client waits for our go before sending its body."""
        if expectation.lower() != "100-continue":
            raise _Refused(417, f'expectation "{expectation}" is not supported; only 100-continue')
        has_body = length != "0" and (length is not None or "transfer-encoding" in self.headers)
        if not has_body or self.parser.get_http_version() != "1.1":
            return
        if self.busy:
            self.expecting = self.owed = True  # after the answers to the requests before it
        elif self.transport is not None:
            self.transport.write(_CONTINUE)

    def on_body(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_body:
            raise _Refused(413, f"request body exceeds {self.max_body} bytes")
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.phase = IDLE
        raw = self.url[0] if len(self.url) == 1 else b"".join(self.url)
        if raw[:1] == b"/" and b"?" not in raw and b"#" not in raw:
            path, query = raw.decode("latin-1"), ""  # a bare path: what parse_url would give
        else:
            url = httptools.parse_url(raw)
            path = url.path.decode("latin-1")
            query = url.query.decode("latin-1") if url.query else ""
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        method = self.parser.get_method().decode("latin-1")
        request = Request(method, path, query, self.headers, body)
        keep_alive = self.parser.should_keep_alive()
        if self.busy:
            self.queue.append((request, keep_alive))
            if len(self.queue) > PIPELINE_LIMIT and self.transport is not None:
                self.transport.pause_reading()
            return
        self.busy = True
        self.server.inflight += 1
        asyncio.get_running_loop().create_task(self._serve(request, keep_alive))

    # answering
    async def _serve(self, request: Request, keep_alive: bool) -> None:
        server = self.server
        while True:
            response = await server.dispatch(request)
            transport = self.transport
            if transport is None:
                break
            keep_alive = keep_alive and not self.closing
            transport.write(encode_response(response, keep_alive, request.method == "HEAD"))
            if not keep_alive:
                transport.close()
                break
            if not self.queue:
                break
            request, keep_alive = self.queue.popleft()
            if len(self.queue) == PIPELINE_LIMIT and not self.broken:
                transport.resume_reading()
        self.busy = False
        server.inflight -= 1
        server.idle.set()
        if self.owed:
            self._after_answers()

    def _after_answers(self) -> None:
        self.owed = False
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self.failure is not None:
            transport.write(self.failure)
            self._linger(transport)
        elif self.eof:
            transport.close()
        elif self.expecting:
            self.expecting = False
            transport.write(_CONTINUE)

    def fail(self, status: int, message: str) -> None:
        """Answer `status` after the answers owed, then close; read no further requests."""
        if self.broken or self.transport is None:
            return
        self.broken = True
        self.failure = encode_response(error_response(status, message), False, False)
        self.owed = True
        if self.busy:
            self.transport.pause_reading()  # until the answers before it are out
        else:
            self._after_answers()

    def _linger(self, transport: asyncio.Transport) -> None:
        transport.resume_reading()
        if transport.can_write_eof():
            transport.write_eof()  # after the answer, which is already queued
        asyncio.get_running_loop().call_later(LINGER_SECONDS, transport.close)

    def sweep(self, now: float) -> None:
        """Apply the header and keep-alive timeouts (`HttpServer` calls this periodically).

        A state is (phase, progress); a state unchanged for longer than its timeout ends
        the connection: 408 when part of a request arrived, silently when none did.
        """
        if self.busy or self.broken or self.transport is None:
            self.watched = None
            return
        phase = self.phase
        state = (phase, self.size if phase == BODY else self.begun)
        if state != self.watched:
            self.watched, self.since = state, now
            return
        limits = self.limits
        new = phase == IDLE and self.begun == 0  # connected, sent nothing
        timeout = (
            limits.header_timeout_seconds
            if phase == HEAD or new
            else limits.keepalive_timeout_seconds
        )
        if not timeout or now - self.since < timeout:
            return
        if phase == IDLE:
            self.broken = True
            self.transport.close()
        elif phase == HEAD:
            self.fail(408, f"request headers not received within {timeout:g} s")
        else:
            self.fail(408, f"request body stalled for {timeout:g} s")

    def close_when_idle(self) -> None:
        """Close now if idle, else after the response being worked on (used on shutdown)."""
        self.closing = True
        if not self.busy and self.transport is not None:
            self.transport.close()
