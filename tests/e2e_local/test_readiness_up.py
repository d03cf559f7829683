"""Node restarts under load through a real `infergraph up`: the orchestrator sends nothing to a
node that is not ready (no 502s while a restarted node loads its model), a router's dead
child fails fast with a 503 naming it, or, with `fallback: true`, the live child answers."""

from __future__ import annotations

import http.client
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from background_load import Load
from servers import is_ready

from infergraph import defaults

from .up import EXAMPLES, Up

pytestmark = pytest.mark.e2e_local

PREDICT = "/api/v1.0/predictions"
BODY = json.dumps({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}})
CLIENTS = 3
PROBE_PERIOD_S = 0.5  # defaults.NODE_PROBE_PERIOD_MS


class Answer:
    """One request through the gateway: when it started, how long it took, what came back."""

    def __init__(self, started: float, took: float, status: int, doc: Any) -> None:
        self.started, self.took, self.status, self.doc = started, took, status, doc

    @property
    def info(self) -> str:
        return str(self.doc.get("status", {}).get("info", "")) if isinstance(self.doc, dict) else ""

    @property
    def path(self) -> dict[str, str]:
        return dict(self.doc["meta"]["requestPath"]) if self.status == 200 else {}


def _send(conn: http.client.HTTPConnection) -> Answer:
    started = time.monotonic()
    conn.request("POST", PREDICT, BODY, {"Content-Type": "application/json"})
    answer = conn.getresponse()
    doc = json.loads(answer.read())
    return Answer(started, time.monotonic() - started, answer.status, doc)


def _load(port: int) -> Load[Answer]:
    """`CLIENTS` keep-alive clients posting through the gateway until the block ends."""
    return Load(port, _send, clients=CLIENTS, keep_alive=True, timeout=30)


def _kill_and_wait_for_restart(up: Up, name: str) -> float:
    """SIGKILL the node; `up` restarts it; the moment its new process is ready."""
    port = up.ports[name]
    os.kill(up.pids[name], signal.SIGKILL)
    while is_ready(port):
        time.sleep(0.01)
    deadline = time.monotonic() + 60
    while not is_ready(port):
        assert time.monotonic() < deadline, up.text()
        time.sleep(0.02)
    return time.monotonic()


def _ab_graph(workdir: Path, fallback: bool) -> str:
    doc = yaml.safe_load((EXAMPLES / "ab-test.yaml").read_text())
    doc["spec"]["predictors"][0]["graph"]["fallback"] = fallback
    path = workdir / f"ab-fallback-{fallback}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_restarted_node_gets_no_traffic_until_ready_and_its_router_fails_fast(
    workdir: Path,
) -> None:
    with Up("ab-test.yaml", workdir) as up, _load(up.port) as load:
        time.sleep(0.5)
        ready_at = _kill_and_wait_for_restart(up, "node main/model-b")
        time.sleep(PROBE_PERIOD_S + 1.5)
    failures = [a for a in load.results if a.status != 200]
    assert failures, "no request needed the killed node"
    assert {a.status for a in failures} == {503}, [(a.status, a.info) for a in failures][:5]
    assert all("node 'model-b'" in a.info for a in failures), [a.info for a in failures][:5]
    assert max(a.took for a in failures) < 1.0
    late = [a for a in failures if a.started > ready_at + PROBE_PERIOD_S + 0.5]
    assert late == [], [(a.started - ready_at, a.info) for a in late]
    after = [a for a in load.results if a.started > ready_at + PROBE_PERIOD_S + 0.5]
    assert any("model-b" in a.path for a in after), "model-b took no traffic after its restart"


def test_router_with_fallback_sends_everything_to_the_live_child(workdir: Path) -> None:
    with Up(_ab_graph(workdir, fallback=True), workdir) as up, _load(up.port) as load:
        time.sleep(0.5)
        killed_at = time.monotonic()
        ready_at = _kill_and_wait_for_restart(up, "node main/model-b")
        time.sleep(PROBE_PERIOD_S + 1.5)
    failures = [a for a in load.results if a.status != 200]
    # only requests already on their way to model-b when it died can fail
    assert len(failures) <= CLIENTS, [(a.status, a.info) for a in failures]
    down = [a for a in load.results if killed_at + 0.5 < a.started < ready_at]
    assert down and all(a.status == 200 and "model-b" not in a.path for a in down)
    assert all(a.doc["meta"]["routing"] == {"ab": 0} for a in down)
    after = [a for a in load.results if a.started > ready_at + PROBE_PERIOD_S + 0.5]
    assert any("model-b" in a.path for a in after), "model-b took no traffic after its restart"


def test_hung_node_fails_fast_once_its_probe_fails(workdir: Path) -> None:
    """A stopped (not dead) node accepts connections and never answers: the background probe
    marks it not ready, and requests routed to it get a fast 503, not the node timeout."""
    with Up("ab-test.yaml", workdir) as up:
        pid = up.pids["node main/model-b"]
        os.kill(pid, signal.SIGSTOP)
        try:
            # the orchestrator takes it out after PROBE_FAILURE_THRESHOLD probes in a row have
            # each waited PROBE_TIMEOUT_SECONDS (the node's readinessProbe), one period apart
            probes = defaults.PROBE_FAILURE_THRESHOLD
            time.sleep(probes * (PROBE_PERIOD_S + defaults.PROBE_TIMEOUT_SECONDS) + 1.0)
            conn = up.connection()
            answers = []
            for _ in range(20):
                started = time.monotonic()
                conn.request("POST", PREDICT, BODY, {"Content-Type": "application/json"})
                response = conn.getresponse()
                doc = json.loads(response.read())
                answers.append(Answer(started, time.monotonic() - started, response.status, doc))
        finally:
            os.kill(pid, signal.SIGCONT)
        failures = [a for a in answers if a.status != 200]
        assert failures, "no request was routed to the stopped node"
        assert all(a.status == 503 and "node 'model-b' is not ready" in a.info for a in failures)
        assert max(a.took for a in answers) < 1.0
