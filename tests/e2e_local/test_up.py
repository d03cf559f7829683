"""`infergraph up` end to end: real processes on loopback, driven through the gateway."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from .up import EXAMPLES, Up, post

pytestmark = pytest.mark.e2e_local

ROW = [5.1, 3.5, 1.4, 0.2]
PREDICT = "/api/v1.0/predictions"
SELDON_EXAMPLES = sorted(
    p.name
    for p in EXAMPLES.glob("*.yaml")
    if yaml.safe_load(p.read_text()).get("spec", {}).get("protocol", "seldon") == "seldon"
)


def _roots(example: str) -> set[str]:
    spec = yaml.safe_load((EXAMPLES / example).read_text())["spec"]
    return {p["graph"]["name"] for p in spec["predictors"]}


@pytest.mark.parametrize("example", SELDON_EXAMPLES)
def test_every_example_answers_through_the_gateway(workdir: Path, example: str) -> None:
    with Up(example, workdir) as up:
        status, _, out = post(up.connection(), PREDICT, {"data": {"ndarray": [ROW]}})
        assert status == 200, out
        assert np.asarray(out["data"]["ndarray"]).shape[0] == 1
        path = out["meta"]["requestPath"]
        assert _roots(example) & set(path), path
        assert set(out["meta"]) >= {"puid", "routing", "requestPath", "tags", "metrics"}


def test_traffic_split_75_25_and_no_orphans(workdir: Path) -> None:
    with Up("canary-75-25.yaml", workdir, seed=11) as up:
        conn = up.connection()
        counts = {"main": 0, "canary": 0}
        for _ in range(2000):
            status, headers, _ = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            assert status == 200
            counts[headers["x-infergraph-predictor"]] += 1
        assert abs(counts["main"] / 2000 - 0.75) <= 0.04, counts


def _metric(port: int, endpoint: str) -> float:
    """The count of 200 answers on `endpoint` in a server's Prometheus text."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    total = 0.0
    for labels, value in re.findall(r"^infergraph_requests_total\{(.*)\} (\S+)$", text, re.M):
        if f'endpoint="{endpoint}"' in labels and 'code="200"' in labels:
            total += float(value)
    return total


def test_shadow_gets_every_request_callers_only_main(workdir: Path) -> None:
    with Up("shadow.yaml", workdir) as up:
        conn = up.connection()
        for _ in range(200):
            status, headers, _ = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            assert (status, headers["x-infergraph-predictor"]) == (200, "main")
        shadow_metrics = up.ports["orchestrator shadow"] + 2  # http, grpc, metrics
        deadline = time.monotonic() + 10
        while _metric(shadow_metrics, "predictions") < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _metric(shadow_metrics, "predictions") == 200


def test_epsilon_greedy_learns_from_feedback_through_the_orchestrator(workdir: Path) -> None:
    with Up("bandit.yaml", workdir) as up:
        conn = up.connection()
        for _ in range(150):
            _, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            reward = 1.0 if out["meta"]["routing"]["bandit"] == 2 else 0.0
            request = {"data": {"ndarray": [ROW]}}
            status, _, _ = post(
                conn, "/api/v1.0/feedback", {"request": request, "response": out, "reward": reward}
            )
            assert status == 200
        chosen = [
            post(conn, PREDICT, {"data": {"ndarray": [ROW]}})[2]["meta"]["routing"]["bandit"]
            for _ in range(100)
        ]
        assert chosen.count(2) >= 75, chosen


def test_combiner_answers_the_mean_of_its_children(workdir: Path) -> None:
    with Up("ensemble.yaml", workdir) as up:
        _, _, out = post(up.connection(), PREDICT, {"data": {"ndarray": [ROW]}})
        children = [name for name in up.ports if name.startswith("node ") and "model" in name]
        assert len(children) == 3
        outputs = []
        for name in children:
            outputs.append(post(up.connection(name), "/predict", {"data": {"ndarray": [ROW]}})[2])
        arrays = [np.asarray(o["data"]["ndarray"]) for o in outputs]
        assert not np.allclose(arrays[0], arrays[1])
        np.testing.assert_allclose(out["data"]["ndarray"], np.mean(arrays, axis=0))


def test_killed_node_fails_fast_with_its_name_and_recovers(workdir: Path) -> None:
    with Up("ab-test.yaml", workdir) as up:
        conn = up.connection()
        os.kill(up.pids["node main/model-b"], signal.SIGKILL)
        failures: list[tuple[int, Any, float]] = []
        successes: list[tuple[int, Any, float]] = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and len(failures) < 5:
            started = time.monotonic()
            status, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            took = time.monotonic() - started
            (successes if status == 200 else failures).append((status, out, took))
        assert failures, "no request needed the killed node"
        for status, out, took in failures:
            assert status == 503 and "node 'model-b'" in out["status"]["info"], out
            assert took < 0.5
        assert all("model-b" not in out["meta"]["requestPath"] for _, out, _ in successes)
        deadline = time.monotonic() + 30  # `up` restarts the node; service recovers
        while time.monotonic() < deadline:
            answers = [post(conn, PREDICT, {"data": {"ndarray": [ROW]}}) for _ in range(20)]
            if all(status == 200 for status, _, _ in answers):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the graph did not recover after the node restarted")
        assert "restarted as pid" in up.text()
