"""The background-load helper: each client keeps its connection or opens one per request, and
every client has stopped when the block ends."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator

import pytest
from background_load import Load
from loopback_http import QuietHandler, serving

CLIENTS = 2


class _Handler(QuietHandler):
    """Answers every GET with the client's source port, which names its connection."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.answer(200, str(self.client_address[1]).encode(), "text/plain")


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving(_Handler) as bound:
        yield bound


def _source_port(conn: http.client.HTTPConnection) -> int:
    conn.request("GET", "/")
    return int(conn.getresponse().read())


def _run(port: int, keep_alive: bool) -> Load[int]:
    with Load(port, _source_port, clients=CLIENTS, keep_alive=keep_alive, timeout=5) as load:
        deadline = time.monotonic() + 10
        while len(load.results) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert not any(thread.is_alive() for thread in load.threads)
    return load


def test_keep_alive_clients_send_every_request_on_their_own_connection(port: int) -> None:
    load = _run(port, keep_alive=True)
    assert len(load.results) >= 20
    assert len(set(load.results)) == CLIENTS


def test_other_clients_open_a_connection_per_request(port: int) -> None:
    load = _run(port, keep_alive=False)
    assert len(load.results) >= 20
    assert len(set(load.results)) == len(load.results)
