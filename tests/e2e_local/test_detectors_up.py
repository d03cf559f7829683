"""Detectors under `infergraph up`: each its own process, fed Seldon's payload-log CloudEvents
(built by the `cloudevents` SDK, as the logger sends them) at the loopback URL that a logger url
`detector:NAME` resolves to; their verdicts read back from /metrics."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from cloudevents.core.bindings.http import to_binary_event
from cloudevents.core.v1.event import CloudEvent
from sklearn.datasets import load_iris

from infergraph.compile import compile_values
from infergraph.loading import load
from infergraph.local import plan_local

from .up import EXAMPLES, Up, post

pytestmark = pytest.mark.e2e_local

PREDICT = "/api/v1.0/predictions"


def _logged(up: Up, detector: str, rows: list[list[float]], puid: str) -> dict[str, object]:
    """POST one request event, as the orchestrator logs a node's request, to the detector."""
    event = CloudEvent(
        attributes={
            "type": "io.seldon.serving.inference.request",
            "source": "http://127.0.0.1/",
            "requestid": puid,
            "modelid": "classifier",
            "inferenceservicename": "iris-watched",
            "namespace": "default",
            "endpoint": "main",
            "datacontenttype": "application/json",
        },
        data={"data": {"ndarray": rows}},
    )
    message = to_binary_event(event)
    conn = up.connection(f"detector {detector}")
    conn.request("POST", "/", message.body, dict(message.headers))
    answer = conn.getresponse()
    body: dict[str, object] = json.loads(answer.read())
    assert answer.status == 200, body
    return body


def _metric(up: Up, detector: str, sample: str) -> float:
    port = up.ports[f"detector {detector}"] + 1  # http, then metrics
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert found, f"{sample} not in the metrics of {detector}"
    return float(found[1])


def test_detectors_run_beside_the_graph_and_judge_logged_requests(workdir: Path) -> None:
    graph = load(EXAMPLES / "detectors.yaml")
    with Up("detectors.yaml", workdir) as up:
        # the graph itself still answers
        status, _, out = post(
            up.connection(), PREDICT, {"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}
        )
        assert status == 200, out
        # the loopback URLs `detector:NAME` resolves to under up are where the detectors listen
        plan = plan_local(
            graph, compile_values(graph), up.port, "/r", str(workdir), "build/volumes"
        )
        assert plan.targets == {
            f"detector:{name}": f"http://127.0.0.1:{up.ports[f'detector {name}']}/"
            for name in ("drift", "outliers")
        }
        features = load_iris().data
        rng = np.random.default_rng(3)
        # outliers: iris rows score as inliers, a row far from every flower as an outlier
        inliers = features[rng.choice(len(features), 20, replace=False)].tolist()
        verdict = _logged(up, "outliers", inliers, "p-in")
        assert sum(verdict["data"]["is_outlier"]) <= 2  # type: ignore[index]
        verdict = _logged(up, "outliers", [[9.0, 0.5, 9.0, 0.1]], "p-out")
        assert verdict["data"]["is_outlier"] == [1]  # type: ignore[index]
        assert _metric(up, "outliers", 'infergraph_outliers_total{detector="outliers"}') >= 1
        assert _metric(up, "outliers", 'infergraph_outlier_score_count{detector="outliers"}') == 21
        # drift (windowSize 50, FDR): training rows do not drift, the same rows scaled do
        for start in range(0, 50, 10):
            _logged(up, "drift", features[rng.choice(150, 10)].tolist(), f"p-{start}")
        assert _metric(up, "drift", 'infergraph_drift{detector="drift"}') == 0
        shifted = (features[rng.choice(150, 50)] * [1.0, 1.0, 1.6, 1.0]).tolist()
        verdict = _logged(up, "drift", shifted, "p-shift")
        assert [w["is_drift"] for w in verdict["data"]["windows"]] == [1]  # type: ignore[index]
        assert _metric(up, "drift", 'infergraph_drift{detector="drift"}') == 1
        p_feature_2 = 'infergraph_drift_p_value{detector="drift",feature="2"}'
        assert _metric(up, "drift", p_feature_2) < 1e-3
