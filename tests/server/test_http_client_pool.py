"""The client pool: its slot queue (at most `max_connections` requests at once, first come
first served, no slot lost to a cancelled caller), fixed headers, and answers without headers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from httpcase import serving

from infergraph_server.http import HttpClient, HttpServer, Request, Response, Router, json_response


class _Held:
    """What GET /held saw: requests in flight now and at most, their order, and the gate
    that lets them answer."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.order: list[str] = []
        self.gate = asyncio.Event()


HELD: list[_Held] = []  # one per server, the last is the running test's


def _router() -> Router:
    """GET /held?TAG answers TAG once the gate opens; POST /headers echoes the headers."""
    router = Router()
    state = _Held()
    HELD.append(state)

    async def held(request: Request) -> Response:
        state.now += 1
        state.most = max(state.most, state.now)
        state.order.append(request.query)
        await state.gate.wait()
        state.now -= 1
        return Response(request.query.encode(), content_type="text/plain")

    async def headers(request: Request) -> Response:
        return json_response(request.headers)

    router.get("/held", held)
    router.post("/headers", headers)
    return router


run = serving(_router)


@contextlib.asynccontextmanager
async def _pool(port: int, **options: Any) -> AsyncIterator[HttpClient]:
    """A client of the test's server with these options, closed afterwards."""
    client = HttpClient("127.0.0.1", port, **options)
    try:
        yield client
    finally:
        await client.close()


async def _queued(client: HttpClient, tags: range) -> list[asyncio.Task[bytes]]:
    """One task per tag asking GET /held?tag, each queued behind the ones before it."""

    async def ask(tag: int) -> bytes:
        return (await client.request("GET", f"/held?{tag}")).body

    tasks = []
    for tag in tags:
        tasks.append(asyncio.create_task(ask(tag)))
        await asyncio.sleep(0.02)  # its request is sent (or queued) before the next one asks
    return tasks


@run
async def test_at_most_max_connections_in_flight_first_come_first_served(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    state = HELD[-1]
    async with _pool(port, max_connections=2) as narrow:
        tasks = await _queued(narrow, range(6))
        assert state.order == ["0", "1"]  # the other four wait for a slot
        state.gate.set()
        bodies = await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert bodies == [str(i).encode() for i in range(6)]
    assert state.most == 2
    assert state.order == [str(i) for i in range(6)]


@run
async def test_a_cancelled_waiter_gives_up_its_place_and_no_slot_is_lost(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    state = HELD[-1]
    async with _pool(port, max_connections=1) as single:
        first, second, third = await _queued(single, range(3))
        second.cancel()
        state.gate.set()
        assert await asyncio.wait_for(first, 5) == b"0"
        assert await asyncio.wait_for(third, 5) == b"2"
        again = await asyncio.wait_for(single.request("GET", "/held?3"), 5)
    assert second.cancelled()
    assert again.body == b"3"
    assert state.order == ["0", "2", "3"]


@run
async def test_fixed_headers_go_with_every_request_before_its_own(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    async with _pool(port, headers={"content-type": "application/json"}) as fixed:
        plain = await fixed.request("POST", "/headers", b"{}")
        more = await fixed.request("POST", "/headers", b"{}", {"traceparent": "00-ab-cd-01"})
    assert plain.body == (
        b'{"host":"127.0.0.1:%d","content-type":"application/json","content-length":"2"}' % port
    )
    assert more.body == (
        b'{"host":"127.0.0.1:%d","content-type":"application/json",'
        b'"traceparent":"00-ab-cd-01","content-length":"2"}' % port
    )


@run
async def test_answers_without_headers_when_the_caller_keeps_none(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    async with _pool(port, keep_headers=False) as bare:
        answer = await bare.request("POST", "/headers", b"")
    kept = await client.request("POST", "/headers", b"")
    assert (answer.status, answer.headers, answer.body) == (200, {}, kept.body)
    assert kept.headers["content-type"] == "application/json"
