"""The HTTP core against hostile clients, in-process: size limits, timeouts, connection cap."""

from __future__ import annotations

import argparse
import asyncio
import logging

import pytest
from httpcase import exchange, read_answers, sample_router, serving

from infergraph_server.http import HttpClient, HttpLimits, HttpServer
from infergraph_server.settings import ServerSettings, SettingsError, add_server_flags

SMALL = HttpLimits(
    max_request_line_bytes=100,
    max_header_bytes=200,
    max_header_count=5,
    max_head_bytes=600,
    header_timeout_seconds=0.4,
    keepalive_timeout_seconds=0.4,
    max_connections=3,
)


def _get(headers: list[tuple[str, str]], target: str = "/teapot") -> bytes:
    lines = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return f"GET {target} HTTP/1.1\r\nhost: x\r\n{lines}\r\n".encode()


@pytest.mark.parametrize(
    ("request_bytes", "status", "says"),
    [
        (_get([], "/" + "a" * 101), b"414", b"request target exceeds 100 bytes"),
        (_get([("x-big", "v" * 200)]), b"431", b"a request header exceeds 200 bytes"),
        (_get([(f"x-{i}", "v") for i in range(5)]), b"431", b"more than 5 request headers"),
        (_get([(f"x-{i}", "v" * 150) for i in range(4)]), b"431", b"headers exceed 600 bytes"),
    ],
    ids=["request-line", "one-header", "header-count", "header-block"],
)
def test_each_limit_is_answered_and_closes(
    request_bytes: bytes, status: bytes, says: bytes
) -> None:
    @serving(sample_router, SMALL)
    async def case(server: HttpServer, client: HttpClient, port: int) -> None:
        # A request just inside every limit passes; the same connection would carry on.
        (ok,) = await exchange(port, _get([(f"x-{i}", "v" * 100) for i in range(3)]).replace(
            b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n"))  # fmt: skip
        assert ok.startswith(b"HTTP/1.1 418")
        # Two requests: the second is refused; its answer is the last and the server closes.
        (first, refused) = await exchange(port, _get([]) + request_bytes)
        assert first.startswith(b"HTTP/1.1 418")
        assert refused.startswith(b"HTTP/1.1 " + status) and says in refused
        assert b"connection: close" in refused

    case()


@pytest.mark.parametrize(
    ("head", "status"),
    [(b"GET /" + b"a" * 150 + b" HTTP/1.1\r\n\r\n", b"414"),
     (b"GET / HTTP/1.1\r\nx-big: " + b"v" * 250 + b"\r\n\r\n", b"431")],
    ids=["request-line", "one-header"],
)  # fmt: skip
def test_limits_hold_when_the_head_arrives_in_pieces(head: bytes, status: bytes) -> None:
    @serving(sample_router, SMALL)
    async def case(server: HttpServer, client: HttpClient, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for start in range(0, len(head), 20):
            writer.write(head[start : start + 20])
            await writer.drain()
            await asyncio.sleep(0.005)  # one read each
        (answer,) = await read_answers(reader)
        assert answer.startswith(b"HTTP/1.1 " + status)
        writer.close()

    case()


@serving(sample_router)
async def test_a_huge_header_is_refused_before_it_ends(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    """16 MiB of one header value: 431 arrives while the client is still sending."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /teapot HTTP/1.1\r\nhost: x\r\nx-huge: ")
    chunk = b"v" * 65536
    answer = b""
    for _ in range(256):
        writer.write(chunk)
        try:
            await writer.drain()
        except ConnectionError:
            break
        if answer := await _maybe_read(reader):
            break
    answer += await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 431") and b"65536 bytes" in answer


async def _maybe_read(reader: asyncio.StreamReader) -> bytes:
    try:
        return await asyncio.wait_for(reader.read(4096), 0.001)
    except TimeoutError:
        return b""


@serving(sample_router, SMALL)
async def test_header_timeout_answers_408_and_closes(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    """A slow client (slowloris) that never finishes its headers is cut off."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /teapot HTTP/1.1\r\nhost: x\r\n")  # and never the blank line
    (answer,) = await read_answers(reader, timeout=5)
    assert answer.startswith(b"HTTP/1.1 408") and b"not received within 0.4 s" in answer
    writer.close()


@serving(sample_router, SMALL)
async def test_silent_and_idle_connections_are_closed(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    silent_reader, silent = await asyncio.open_connection("127.0.0.1", port)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_get([]))  # one request, then idle on a keep-alive connection
    assert (await asyncio.wait_for(reader.readuntil(b"}"), 5)).startswith(b"HTTP/1.1 418")
    assert await asyncio.wait_for(silent_reader.read(), 5) == b""  # closed, nothing said
    assert await asyncio.wait_for(reader.read(), 5) == b""
    silent.close()
    writer.close()


@serving(sample_router, SMALL)
async def test_a_stalled_body_is_answered_408(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\ncontent-length: 10\r\n\r\nabc")
    (answer,) = await read_answers(reader, timeout=5)
    assert answer.startswith(b"HTTP/1.1 408") and b"body stalled" in answer
    writer.close()


def test_connection_cap_refuses_new_ones_and_serves_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @serving(sample_router, HttpLimits(max_connections=3, max_body_bytes=1000))
    async def case(server: HttpServer, client: HttpClient, port: int) -> None:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
        for _ in range(4):
            (refused,) = await exchange(port, _get([]))
            assert refused.startswith(b"HTTP/1.1 503") and b"connection limit" in refused
        for reader, writer in held:  # the connections already open are still served
            writer.write(_get([]))
            assert (await asyncio.wait_for(reader.readuntil(b"}"), 5)).startswith(b"HTTP/1.1 418")
            writer.close()
        await asyncio.sleep(0.1)
        (answer,) = await exchange(port, _get([("connection", "close")]))
        assert answer.startswith(b"HTTP/1.1 418")  # room again

    with caplog.at_level(logging.WARNING, "infergraph_server.http.server"):
        case()
    lines = [r.getMessage() for r in caplog.records if "connection limit" in r.getMessage()]
    assert lines == ["connection limit 3 reached: new connections get 503 until some close "
                     "(INFERGRAPH_MAX_CONNECTIONS)"]  # fmt: skip


def test_limits_come_from_flags_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    add_server_flags(parser)
    monkeypatch.setenv("INFERGRAPH_MAX_HEADER_COUNT", "7")
    monkeypatch.setenv("INFERGRAPH_HEADER_TIMEOUT_SECONDS", "9")
    args = parser.parse_args(["--header-timeout-seconds", "2.5", "--max-connections", "50"])
    limits = ServerSettings.from_args(args).http_limits()
    assert (limits.max_header_count, limits.header_timeout_seconds, limits.max_connections) == (
        7, 2.5, 50)  # fmt: skip
    assert limits.max_head_bytes == HttpLimits().max_head_bytes
    monkeypatch.setenv("INFERGRAPH_MAX_HEAD_BYTES", "0")
    with pytest.raises(SettingsError, match='--max-head-bytes: "0" must be at least 1'):
        ServerSettings.from_args(parser.parse_args([]))
    monkeypatch.delenv("INFERGRAPH_MAX_HEAD_BYTES")
    with pytest.raises(
        SettingsError, match=r'--keepalive-timeout-seconds: "-1\.0" must be at least 0'
    ):
        ServerSettings.from_args(parser.parse_args(["--keepalive-timeout-seconds", "-1"]))
