"""HTTP/1.1 details, in-process: pipelining with an error, Expect: 100-continue, HEAD, EOF."""

from __future__ import annotations

import asyncio

from httpcase import exchange, read_answers, sample_router, serving

from infergraph_server.http import HttpClient, HttpLimits, HttpServer

run = serving(sample_router, HttpLimits(max_body_bytes=1000))


def _post(body: bytes, *headers: str) -> bytes:
    extra = "".join(f"{h}\r\n" for h in headers).encode()
    return b"POST /echo HTTP/1.1\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


@run
async def test_pipelined_requests_then_a_malformed_one_get_every_answer(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_post(b"1") + _post(b"2") + b"BOGUS\r\n\r\n")
    answers = await read_answers(reader)  # until the server closes
    assert [a[:12] for a in answers] == [b"HTTP/1.1 200", b"HTTP/1.1 200", b"HTTP/1.1 400"]
    assert b'"body":"1"' in answers[0] and b'"body":"2"' in answers[1]
    assert b"malformed HTTP request" in answers[2]
    writer.close()


@run
async def test_a_slow_answer_still_comes_before_the_error_after_it(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\n\r\n" + _post(b"x" * 1001))  # 0.3 s, then 413
    answers = await read_answers(reader)
    assert [a[:12] for a in answers] == [b"HTTP/1.1 200", b"HTTP/1.1 413"]
    writer.close()


@run
async def test_requests_sent_before_the_client_shuts_its_side_are_answered(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /slow HTTP/1.1\r\n\r\n" + _post(b"after"))
    writer.write_eof()  # as `printf ... | nc -N` does
    answers = await read_answers(reader)
    assert [a[:12] for a in answers] == [b"HTTP/1.1 200", b"HTTP/1.1 200"]
    assert b'"body":"after"' in answers[1]
    writer.close()


@run
async def test_expect_100_continue_is_answered_before_the_body(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n")
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"hello")
    final = await asyncio.wait_for(reader.readuntil(b'"}'), 5)
    assert final.startswith(b"HTTP/1.1 200") and b'"body":"hello"' in final
    writer.close()


@run
async def test_expect_with_a_body_over_the_limit_gets_413_at_once(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\ncontent-length: 1001\r\nexpect: 100-continue\r\n\r\n")
    (answer,) = await read_answers(reader)  # no body sent: the answer and the close come anyway
    assert answer.startswith(b"HTTP/1.1 413") and b"1000 bytes" in answer
    writer.close()


@run
async def test_expect_after_a_pipelined_request_waits_for_its_answer(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    expecting = b"POST /echo HTTP/1.1\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n"
    writer.write(b"GET /slow HTTP/1.1\r\n\r\n" + expecting)
    slow = await asyncio.wait_for(reader.readuntil(b"done"), 5)
    assert slow.startswith(b"HTTP/1.1 200")  # first, as it was asked first
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"ok")
    assert b'"body":"ok"' in await asyncio.wait_for(reader.readuntil(b'"}'), 5)
    writer.close()


@run
async def test_an_unknown_expectation_is_417(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    (answer,) = await exchange(port, _post(b"x", "expect: a-miracle"))
    assert answer.startswith(b"HTTP/1.1 417") and b"only 100-continue" in answer


@run
async def test_head_answers_get_headers_without_a_body(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    (get,) = await exchange(port, b"GET /slow HTTP/1.1\r\nconnection: close\r\n\r\n")
    (head,) = await exchange(port, b"HEAD /slow HTTP/1.1\r\nconnection: close\r\n\r\n")
    assert head == get.split(b"\r\n\r\n")[0] + b"\r\n\r\n"
    assert b"content-length: 4\r\n" in head


@run
async def test_client_head_returns_and_keeps_the_connection(
    server: HttpServer, client: HttpClient, port: int
) -> None:
    """A HEAD answer announces a length but has no body; the client must not wait for one."""
    answer = await client.request("HEAD", "/slow", timeout=3)
    assert (answer.status, answer.headers["content-length"], answer.body) == (200, "4", b"")
    assert (await client.request("GET", "/slow")).body == b"done"  # same connection, in step
    assert len(server.connections) == 1


def test_client_skips_an_interim_answer() -> None:
    """A 100 Continue before the real answer is not the answer."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n"
                     b"\r\nok")  # fmt: skip
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            got = await HttpClient("127.0.0.1", port).request("POST", "/", b"x", timeout=3)
        assert (got.status, got.body) == (201, b"ok")

    asyncio.run(main())
