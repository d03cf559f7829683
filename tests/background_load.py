"""Background load on a loopback port for the length of a `with` block.

The tests that kill, restart or stop a server under load share the thread scaffolding; what
one request is and what is kept of its answer is theirs, passed in as `send`.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Load"]

Result = TypeVar("Result")


class Load(Generic[Result]):
    """`clients` threads calling `send(connection)` to 127.0.0.1:`port` until the block ends;
    `results` holds what each call returned, in the order they finished.

    A client keeps its connection across requests when `keep_alive`, else it closes it after
    each one (http.client opens a new one for the next request).
    """

    def __init__(
        self,
        port: int,
        send: Callable[[http.client.HTTPConnection], Result],
        *,
        clients: int,
        keep_alive: bool,
        timeout: float = 60.0,
    ) -> None:
        self.port, self.send, self.keep_alive, self.timeout = port, send, keep_alive, timeout
        self.results: list[Result] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._client) for _ in range(clients)]

    def _client(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            while not self.stop.is_set():
                self.results.append(self.send(conn))
                if not self.keep_alive:
                    conn.close()
        finally:
            conn.close()

    def __enter__(self) -> Load[Result]:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(self.timeout + 10)  # a request in flight ends within its timeout
