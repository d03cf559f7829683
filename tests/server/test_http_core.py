"""The HTTP core in-process: routing, limits, keep-alive, errors, client pool, draining."""

from __future__ import annotations

import asyncio
import socket

import pytest
from httpcase import exchange, sample_router, serving

from infergraph_server.http import HttpClient, HttpClientError, HttpLimits, HttpServer

run = serving(sample_router, HttpLimits(max_body_bytes=1000))


@run
async def test_routes_params_and_keep_alive(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    r = await client.request("POST", "/v2/models/iris/infer", b"hi")
    assert r.status == 200
    assert r.body == b'{"path":"/v2/models/iris/infer","params":{"name":"iris"},"body":"hi"}'
    for _ in range(5):
        assert (await client.request("POST", "/echo", b"x")).status == 200
    assert len(server.connections) == 1  # one keep-alive connection reused


@run
async def test_unknown_path_404_and_wrong_method_405(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    assert (await client.request("GET", "/nope")).status == 404
    assert (await client.request("GET", "/echo")).status == 405
    assert (await client.request("GET", "/v2/models/iris/infer")).status == 405


@run
async def test_errors_are_json_and_server_survives(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    r = await client.request("GET", "/boom")
    assert r.status == 500 and b"kaput" in r.body
    r = await client.request("GET", "/teapot")
    assert (r.status, r.body) == (418, b'{"error":"short and stout"}')
    assert (await client.request("POST", "/echo", b"ok")).status == 200


@run
async def test_body_over_limit_is_413(server: HttpServer, client: HttpClient, port: int) -> None:
    r = await client.request("POST", "/echo", b"x" * 1001)
    assert r.status == 413 and b"1000 bytes" in r.body
    assert (await client.request("POST", "/echo", b"x" * 1000)).status == 200


@run
async def test_malformed_request_is_400(server: HttpServer, client: HttpClient, port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"NOT HTTP AT ALL\r\n\r\n")
    data = await asyncio.wait_for(reader.read(), 5)
    assert data.startswith(b"HTTP/1.1 400")
    writer.close()


@run
async def test_pipelined_requests_answer_in_order(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"".join(b"POST /echo HTTP/1.1\r\ncontent-length: 1\r\n\r\n%d" % i for i in range(3))
    )
    seen = b""
    while seen.count(b"HTTP/1.1 200") < 3:
        seen += await asyncio.wait_for(reader.read(65536), 5)
    assert seen.index(b'"body":"0"') < seen.index(b'"body":"1"') < seen.index(b'"body":"2"')
    writer.close()


@run
async def test_shutdown_drains_in_flight(server: HttpServer, client: HttpClient, port: int) -> None:
    pending = asyncio.create_task(client.request("GET", "/slow"))
    await asyncio.sleep(0.1)
    await server.shutdown(5)
    r = await pending
    assert (r.status, r.body) == (200, b"done")
    with pytest.raises(HttpClientError):
        await HttpClient("127.0.0.1", port).request("GET", "/slow")


def test_client_reports_refused_connection() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        with pytest.raises(HttpClientError, match="cannot connect"):
            await HttpClient("127.0.0.1", port).request("GET", "/")

    asyncio.run(main())


@run
async def test_client_times_out(server: HttpServer, client: HttpClient, port: int) -> None:
    with pytest.raises(HttpClientError, match="in time"):
        await client.request("GET", "/slow", timeout=0.05)
    assert (await client.request("POST", "/echo", b"after")).status == 200


@run
async def test_targets_other_than_a_bare_path_are_parsed_in_full(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    for target in (b"/teapot#part", b"http://127.0.0.1/teapot", b"/teapot?q=1"):
        answers = await exchange(
            port, b"GET %s HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n" % target
        )
        assert answers[0].startswith(b"HTTP/1.1 418"), target
