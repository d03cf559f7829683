"""In-process HTTP server cases: a real `HttpServer` on a loopback port, raw sockets to it.

@serving(router, HttpLimits(max_header_count=3))
async def test_x(server: HttpServer, client: HttpClient, port: int) -> None: ...
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from infergraph_server.http import (
    HttpClient,
    HttpError,
    HttpLimits,
    HttpServer,
    Request,
    Response,
    Router,
    json_response,
)

__all__ = ["exchange", "read_answers", "sample_router", "serving"]

Case = Callable[[HttpServer, HttpClient, int], Awaitable[None]]


def sample_router() -> Router:
    """POST /echo and /v2/models/{name}/infer echo; GET /boom 500, /teapot 418, /slow 0.3 s."""
    router = Router()

    async def echo(req: Request) -> Response:
        return json_response({"path": req.path, "params": req.params, "body": req.body.decode()})

    async def boom(_: Request) -> Response:
        raise RuntimeError("kaput")

    async def teapot(_: Request) -> Response:
        raise HttpError(418, "short and stout")

    async def slow(_: Request) -> Response:
        await asyncio.sleep(0.3)
        return Response(b"done", content_type="text/plain")

    router.post("/echo", echo)
    router.post("/v2/models/{name}/infer", echo)
    router.get("/boom", boom)
    router.get("/teapot", teapot)
    router.get("/slow", slow)
    return router


def serving(
    make_router: Callable[[], Router], limits: HttpLimits | None = None
) -> Callable[[Case], Callable[[], None]]:
    """Run the decorated async test against a fresh server on a fresh loop (no pytest-asyncio)."""

    def decorate(case: Case) -> Callable[[], None]:
        def test() -> None:
            async def main() -> None:
                server = HttpServer(make_router(), limits)
                port = await server.start("127.0.0.1", 0)
                client = HttpClient("127.0.0.1", port, max_connections=4)
                try:
                    await case(server, client, port)
                finally:
                    await client.close()
                    await server.shutdown(1)

            asyncio.run(main())

        test.__name__ = case.__name__
        test.__doc__ = case.__doc__
        return test

    return decorate


async def read_answers(reader: asyncio.StreamReader, timeout: float = 5.0) -> list[bytes]:
    """Everything the server sends until it closes, split into answers (status line first)."""
    data = await asyncio.wait_for(reader.read(), timeout)
    return [b"HTTP/1.1" + part for part in data.split(b"HTTP/1.1")[1:]]


async def exchange(port: int, data: bytes) -> list[bytes]:
    """Send `data` on a new connection; the answers until the server closes it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    try:
        return await read_answers(reader)
    finally:
        writer.close()
