"""HTTP/1.1 server: listening, the connection cap, timeouts, dispatch to handlers, draining.

No framework sits between the socket and the handler: a request is parsed by httptools
(`connection.py`), routed with one dict lookup and answered with one `transport.write`. That
is what lets a single Python process serve many thousands of small predictions a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from infergraph_server.http.connection import Connection
from infergraph_server.http.limits import HttpLimits
from infergraph_server.http.messages import HttpError, Request, Response, error_response
from infergraph_server.http.router import Router

__all__ = ["HttpServer"]

log = logging.getLogger(__name__)

_MAX_SWEEP_PERIOD = 1.0  # seconds; timeouts are enforced within a quarter of their length


class HttpServer:
    """Serves a `Router` on one listening socket, within `limits`."""

    def __init__(self, router: Router, limits: HttpLimits | None = None) -> None:
        self.router = router
        self.limits = limits or HttpLimits()
        self.connections: set[Connection] = set()
        self.inflight = 0
        self.idle = asyncio.Event()
        self.full = False  # at the connection cap (logged once per episode)
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, host: str, port: int, reuse_port: bool = False) -> int:
        """Listen on host:port (0 picks a free port) and return the port bound.

        `reuse_port` (SO_REUSEPORT) lets worker processes of one server share the port; it
        also lets any other process bind it, so nothing else should ask for it.
        """
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), host, port, reuse_port=reuse_port, backlog=2048
        )
        bound: int = self._server.sockets[0].getsockname()[1]
        timeouts = [
            t
            for t in (self.limits.header_timeout_seconds, self.limits.keepalive_timeout_seconds)
            if t > 0
        ]
        if timeouts:
            period = min(_MAX_SWEEP_PERIOD, min(timeouts) / 4)
            self._sweeper = loop.create_task(self._sweep(period))
        return bound

    def admit(self, conn: Connection) -> bool:
        """Count a new connection in, or refuse it (False) when at the cap."""
        cap = self.limits.max_connections
        if len(self.connections) >= cap:
            if not self.full:
                self.full = True
                log.warning(
                    "connection limit %d reached: new connections get 503 until some close "
                    "(INFERGRAPH_MAX_CONNECTIONS)",
                    cap,
                )
            return False
        self.connections.add(conn)
        return True

    def release(self, conn: Connection) -> None:
        """Count a closed connection out."""
        self.connections.discard(conn)
        if self.full and len(self.connections) < self.limits.max_connections * 0.9:
            self.full = False

    async def _sweep(self, period: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            for conn in list(self.connections):
                conn.sweep(now)

    async def dispatch(self, request: Request) -> Response:
        """Route and run one request; errors become JSON error responses, never a crash."""
        handler, params, known = self.router.match(request.method, request.path)
        if handler is None:
            if known:
                return error_response(405, "method not allowed")
            return error_response(404, f"no route for {request.path}")
        request.params = params
        try:
            return await handler(request)
        except HttpError as exc:
            return error_response(exc.status, exc.message)
        except Exception as exc:
            log.exception("unhandled error in %s %s", request.method, request.path)
            return error_response(500, f"internal error: {exc}")

    async def shutdown(self, grace_seconds: float) -> None:
        """Stop accepting, let in-flight requests finish (up to the grace period), close all."""
        if self._server is not None:
            self._server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
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
