"""The API server connection retries what the server asks to be retried, and only that.

A CRD created a moment ago answers 429 "storage is (re)initializing" with `Retry-After`
(CI met it in `infergraph diff` right after an install); a real API server cannot be made to
say it on demand, so a loopback server says it here, through a real kubeconfig.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from loopback_http import QuietHandler, serving

from infergraph.cluster import connect
from infergraph.cluster.connect import Connection
from infergraph.errors import ClusterError

PATH = "/apis/monitoring.coreos.com/v1/namespaces/ns/servicemonitors"
BUSY = json.dumps({"kind": "Status", "message": "storage is (re)initializing"}).encode()
LISTED = json.dumps({"kind": "ServiceMonitorList", "items": []}).encode()


def _kubeconfig(tmp_path: Path, port: int) -> str:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def _server(busy_answers: int, status: int = 429, retry_after: str | None = "0") -> type:
    """A handler class that answers `busy_answers` GETs with `status`, then the list."""

    class Handler(QuietHandler):
        seen = 0

        def do_GET(self) -> None:
            type(self).seen += 1
            if type(self).seen > busy_answers:
                self.answer(200, LISTED)
                return
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", str(len(BUSY)))
            self.end_headers()
            self.wfile.write(BUSY)

    return Handler


def test_answers_with_retry_after_are_asked_again_until_one_succeeds(tmp_path: Path) -> None:
    handler = _server(busy_answers=3)
    with serving(handler) as port:
        listed = Connection(_kubeconfig(tmp_path, port)).request("GET", PATH)
    assert listed == {"kind": "ServiceMonitorList", "items": []}
    assert handler.seen == 4


def test_the_wait_is_the_one_the_server_asked_for(tmp_path: Path) -> None:
    handler = _server(busy_answers=1, status=503, retry_after="1")
    waits: list[float] = []
    with pytest.MonkeyPatch.context() as patch, serving(handler) as port:
        patch.setattr(connect, "sleep", waits.append)
        Connection(_kubeconfig(tmp_path, port)).request("GET", PATH)
    assert waits == [1.0]


def test_retries_end_with_the_servers_words(tmp_path: Path) -> None:
    handler = _server(busy_answers=1000)
    with serving(handler) as port, pytest.raises(ClusterError) as raised:
        Connection(_kubeconfig(tmp_path, port)).request("GET", PATH)
    assert str(raised.value) == f"GET {PATH}: 429 storage is (re)initializing"
    assert handler.seen == connect.RETRIES + 1


@pytest.mark.parametrize(("status", "retry_after"), [(429, None), (400, "0"), (500, "soon")])
def test_other_failures_are_not_retried(
    tmp_path: Path, status: int, retry_after: str | None
) -> None:
    handler = _server(busy_answers=1000, status=status, retry_after=retry_after)
    with serving(handler) as port, pytest.raises(ClusterError, match=f": {status} storage"):
        Connection(_kubeconfig(tmp_path, port)).request("GET", PATH)
    assert handler.seen == 1
