"""Requests through the Istio ingress gateway (a port-forward on loopback).

Keep-alive connections: Envoy routes each request on its own (the split is per request), and
one connection spares kubectl port-forward a new stream (and a log line) per request.
"""

from __future__ import annotations

import http.client
import json
import threading
from types import TracebackType
from typing import Any

from .kube import wait_for

__all__ = ["PREDICT", "ROW", "Client", "Load", "post_once", "predict_once", "wait_until_serving"]

PREDICT = "/api/v1.0/predictions"
ROW = [5.1, 3.5, 1.4, 0.2]  # an iris setosa
REQUEST = {"data": {"ndarray": [ROW]}}


class Client:
    """A keep-alive connection to 127.0.0.1:`port`; after a failure the next call reconnects.

    Paths are sent under `prefix`, the graph's path on the gateway (values `routing.prefix`).
    """

    def __init__(self, port: int, prefix: str = "/", timeout: float = 30) -> None:
        self.port, self.prefix, self.timeout = port, prefix, timeout
        self._conn: http.client.HTTPConnection | None = None

    def post(self, path: str, doc: Any) -> tuple[int, str]:
        """POST JSON; (status, body text). Envoy's own errors are plain text, not JSON."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            target = self.prefix.rstrip("/") + path
            self._conn.request(
                "POST", target, json.dumps(doc), {"Content-Type": "application/json"}
            )
            response = self._conn.getresponse()
            return response.status, response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def predict(self) -> dict[str, Any]:
        """One prediction of ROW that must succeed; the decoded answer."""
        status, body = self.post(PREDICT, REQUEST)
        assert status == 200, f"{status}: {body[:500]}"
        answer: dict[str, Any] = json.loads(body)
        return answer

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def predict_once(port: int, prefix: str = "/") -> dict[str, Any]:
    """`Client.predict` on a connection of its own."""
    with Client(port, prefix) as client:
        return client.predict()


def post_once(port: int, path: str, doc: Any, prefix: str = "/") -> tuple[int, str]:
    """`Client.post` on a connection of its own."""
    with Client(port, prefix) as client:
        return client.post(path, doc)


def wait_until_serving(
    port: int, prefix: str = "/", streak: int = 10, timeout: float = 120
) -> None:
    """Until `streak` predictions in a row answer 200: istiod has pushed the new routes."""

    def serving() -> bool | None:
        for _ in range(streak):
            try:
                status, _ = client.post(PREDICT, REQUEST)
            except (OSError, http.client.HTTPException):
                return None
            if status != 200:
                return None
        return True

    with Client(port, prefix, timeout=5) as client:
        wait_for(f"{streak} answers in a row through the gateway", serving, timeout)


class Load(threading.Thread):
    """Predictions back to back until `stop()`; every failure is kept with its cause."""

    def __init__(self, port: int, prefix: str = "/") -> None:
        super().__init__(daemon=True)
        self.client = Client(port, prefix, timeout=10)
        self.sent = 0
        self.failures: list[str] = []
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.sent += 1
            try:
                status, body = self.client.post(PREDICT, REQUEST)
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"request {self.sent}: {exc!r}")
                continue
            if status != 200:
                self.failures.append(f"request {self.sent}: {status} {body[:200]}")
        self.client.close()

    def stop(self) -> None:
        """Stop sending and wait for the last request to finish."""
        self._stopping.set()
        self.join(timeout=30)
