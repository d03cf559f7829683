"""The runtime under hostile and unlucky clients: a real component server, orchestrator and
gateway (separate processes, loopback only), each attacked while others are being served.

Bounded: one 64 MiB header per server, 2,000 silent connections, a handful of pipelined and
Expect/HEAD exchanges; the servers run with a 2 s header timeout and a cap of 1,500
connections so the limits show within the module's time budget (well under a minute).
"""

from __future__ import annotations

import re
import resource
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from train_iris import train

from .stack import Server, Stack

pytestmark = pytest.mark.e2e_local

HEADER_TIMEOUT_S = 2
MAX_CONNECTIONS = 1500
SILENT = 2000
MIB = 1 << 20
PREDICTION = b'{"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}'
SERVERS = ("component", "orchestrator", "gateway")
# Every GET route of each server (HEAD must answer like each); the gateway forwards any path.
ORCHESTRATOR_GETS = ("/health/ping", "/health/status", "/v2/health/live", "/v2/health/ready",
                     "/v2", "/v2/models/iris", "/v2/models/iris/ready")  # fmt: skip
GET_ROUTES = {
    "component": (*ORCHESTRATOR_GETS, "/metadata", "/predict?json=" + quote(PREDICTION)),
    "orchestrator": ORCHESTRATOR_GETS,
    "gateway": (*ORCHESTRATOR_GETS, "/no/such/route"),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("hostile")
    train(work / "iris")
    env = {
        "INFERGRAPH_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT_S),
        "INFERGRAPH_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "INFERGRAPH_LOG_LEVEL": "WARNING",
    }
    with Stack(work / "iris", work, env) as running:
        yield running


def exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` on a new connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def answers(raw: bytes) -> list[bytes]:
    """A stream of answers split at their status lines (our bodies never hold "HTTP/1.1 ")."""
    return [b"HTTP/1.1 " + a for a in raw.split(b"HTTP/1.1 ")[1:]]


def post(path: str = "/api/v1.0/predictions", body: bytes = PREDICTION, *extra: bytes) -> bytes:
    head = b"POST %s HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\n" % path.encode()
    return head + b"".join(extra) + b"content-length: %d\r\n\r\n" % len(body) + body


def predictions_served(component: Server) -> float:
    """200 answers the component counted on its prediction endpoints (/metrics)."""
    url = f"http://127.0.0.1:{component.metrics_port}/metrics"
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    pattern = r"^infergraph_requests_total\{(.*)\} (\S+)$"
    return sum(float(v) for labels, v in re.findall(pattern, text, re.M)
               if 'code="200"' in labels and "predict" in labels)  # fmt: skip


@pytest.mark.parametrize("name", SERVERS)
def test_head_answers_every_get_route_like_get(stack: Stack, name: str) -> None:
    port = stack.servers[name].port
    for path in GET_ROUTES[name]:
        rest = f" {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n".encode()
        get = exchange(port, b"GET" + rest)
        head = exchange(port, b"HEAD" + rest)
        get_head, get_body = get.split(b"\r\n\r\n", 1)
        assert head == get_head + b"\r\n\r\n", path  # same status and headers, no body
        assert b"content-length: %d\r\n" % len(get_body) in head, path


def test_head_on_metrics(stack: Stack) -> None:
    port = stack.servers["component"].metrics_port
    head = exchange(port, b"HEAD /metrics HTTP/1.1\r\nconnection: close\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and head.endswith(b"\r\n\r\n")
    assert int(re.findall(rb"content-length: (\d+)", head)[0]) > 0


@pytest.mark.parametrize("name", SERVERS)
def test_pipelined_mix_gets_every_answer_in_order(stack: Stack, name: str) -> None:
    before = predictions_served(stack.servers["component"])
    raw = exchange(
        stack.servers[name].port,
        post() + b"GET /health/ping HTTP/1.1\r\n\r\n" + b"HEAD /v2/health/ready HTTP/1.1\r\n\r\n"
        + post() + b"POST /api/v1.0/predictions HTTP/1.1\r\ncontent-length: x\r\n\r\n" + post(),
    )  # fmt: skip
    got = answers(raw)
    assert [a[:12] for a in got] == [b"HTTP/1.1 200"] * 4 + [b"HTTP/1.1 400"], raw
    assert got[1].endswith(b"pong") or got[1].endswith(b'{"live":true}')
    assert got[2].endswith(b"\r\n\r\n")  # HEAD: no body
    assert b"ndarray" in got[0] and b"ndarray" in got[3]
    assert predictions_served(stack.servers["component"]) == before + 2  # only the answered


@pytest.mark.parametrize("name", SERVERS)
def test_expect_100_continue(stack: Stack, name: str) -> None:
    port = stack.servers[name].port
    with socket.create_connection(("127.0.0.1", port), 10) as sock:
        head = post().split(b"\r\n\r\n")[0] + b"\r\nexpect: 100-continue\r\n\r\n"
        sock.sendall(head)
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(PREDICTION)
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200") and b"ndarray" in answer
    too_big = b"POST /api/v1.0/predictions HTTP/1.1\r\nexpect: 100-continue\r\n" \
              b"content-length: %d\r\n\r\n" % (64 * MIB)  # fmt: skip
    (refused,) = answers(exchange(port, too_big))  # the body is never sent: 413 and close
    assert refused.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("name", SERVERS)
def test_a_64_mib_header_while_others_are_served(stack: Stack, name: str) -> None:
    server = stack.servers[name]
    stop = threading.Event()
    worst: list[float] = []

    def health_checks() -> None:
        with socket.create_connection(("127.0.0.1", server.port), 10) as sock:
            slowest = 0.0
            while not stop.is_set():
                start = time.monotonic()
                sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nhost: t\r\n\r\n")
                got = b""
                while not got.endswith(b"}"):
                    got += sock.recv(65536)
                slowest = max(slowest, time.monotonic() - start)
            worst.append(slowest)

    for _ in range(50):  # warm up, so the RSS compared is the steady one
        exchange(server.port, b"GET /v2/health/live HTTP/1.1\r\nconnection: close\r\n\r\n")
    rss_before = server.rss_bytes()
    others = [threading.Thread(target=health_checks) for _ in range(4)]
    for thread in others:
        thread.start()
    started = time.monotonic()
    sent, answer = _send_huge_header(server.port, 64 * MIB)
    took = time.monotonic() - started
    time.sleep(0.3)
    stop.set()
    for thread in others:
        thread.join(10)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert sent < 16 * MIB and took < 5, (sent, took)  # refused early, not after reading it all
    assert len(worst) == 4 and max(worst) < 1.0, worst
    time.sleep(0.5)
    grown = server.rss_bytes() - rss_before
    assert grown < 8 * MIB, f"{name} RSS grew by {grown / MIB:.1f} MiB"


def _send_huge_header(port: int, size: int) -> tuple[int, bytes]:
    """Send one header of `size` bytes in 256 KiB pieces, watching for an early answer;
    returns (bytes sent, the answer)."""
    with socket.create_connection(("127.0.0.1", port), 10) as sock:
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nhost: t\r\nx-huge: ")
        piece = b"a" * (256 * 1024)
        sent = 0
        while sent < size:
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
            sock.setblocking(False)
            try:
                if early := sock.recv(65536):
                    sock.setblocking(True)
                    return sent, early + _rest(sock)
            except BlockingIOError:
                pass
            sock.setblocking(True)
        return sent, _rest(sock)


def _rest(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_2000_silent_connections(stack: Stack) -> None:
    """Silent connections fill the gateway to its cap: the clients connected before it are
    still served, one log line says so, and the header timeout then frees every slot."""
    gateway = stack.servers["gateway"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < SILENT + 500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, SILENT + 500), hard))
    regular = socket.create_connection(("127.0.0.1", gateway.port), 10)
    silent: list[socket.socket] = []
    try:
        _ask(regular)
        silent = [socket.create_connection(("127.0.0.1", gateway.port), 10) for _ in range(SILENT)]
        for _ in range(20):
            started = time.monotonic()
            _ask(regular)
            assert time.monotonic() - started < 1.0
        refused = [s for s in silent if _closed_within(s, 0.05)]
        assert len(refused) >= SILENT - MAX_CONNECTIONS  # beyond the cap: answered 503, closed
        lines = [line for line in gateway.log_text().splitlines() if "connection limit" in line]
        assert len(lines) == 1 and f"connection limit {MAX_CONNECTIONS} reached" in lines[0]
        deadline = time.monotonic() + HEADER_TIMEOUT_S + 5
        assert all(_closed_within(s, max(0.0, deadline - time.monotonic())) for s in silent)
        (fresh,) = answers(exchange(gateway.port, b"GET /v2/health/live HTTP/1.1\r\n"
                                                  b"connection: close\r\n\r\n"))  # fmt: skip
        assert fresh.startswith(b"HTTP/1.1 200")
    finally:
        regular.close()
        for sock in silent:
            sock.close()


def _ask(sock: socket.socket) -> None:
    sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nhost: t\r\n\r\n")
    got = b""
    while not got.endswith(b"}"):
        got += sock.recv(65536)
    assert got.startswith(b"HTTP/1.1 200")


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closed `sock` (EOF after whatever it said) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_servers_survived(stack: Stack) -> None:
    for server in stack.servers.values():
        assert server.proc.poll() is None, server.log_text()
        assert "Traceback" not in server.log_text(), server.log_text()
