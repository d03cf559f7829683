"""`infergraph up` of a Gateway API graph: the local gateway splits, mirrors and rewrites as the
HTTPRoute does (from the compiled routing an Istio graph gets too: see test_local_plan.py)."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest

from .up import Up, post

pytestmark = pytest.mark.e2e_local

ROW = [5.1, 3.5, 1.4, 0.2]
#: the HTTPRoute's path prefix (routing.prefix), rewritten to / as ReplacePrefixMatch does
PREDICT = "/infergraph/iris-gateway-api/api/v1.0/predictions"
REQUESTS = 1000


def _predictions(metrics_port: int) -> float:
    """200 answers on the predictions endpoint, from an orchestrator's Prometheus text."""
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    pattern = r"^infergraph_requests_total\{(.*)\} (\S+)$"
    return sum(
        float(value)
        for labels, value in re.findall(pattern, text, re.M)
        if 'endpoint="predictions"' in labels and 'code="200"' in labels
    )


def test_canary_split_and_half_shadow_through_the_route_prefix(workdir: Path) -> None:
    with Up("canary-gateway-api.yaml", workdir, seed=7) as up:
        conn = up.connection()
        counts = {"main": 0, "canary": 0}
        for _ in range(REQUESTS):
            status, headers, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
            assert status == 200, out
            counts[headers["x-infergraph-predictor"]] += 1  # never the shadow
        assert abs(counts["main"] / REQUESTS - 0.75) <= 0.05, counts
        shadow = up.ports["orchestrator shadow"] + 2  # http, grpc, metrics
        deadline = time.monotonic() + 10
        seen = _predictions(shadow)
        while time.monotonic() < deadline:  # mirrors are fire-and-forget: let them land
            time.sleep(0.2)
            seen, before = _predictions(shadow), seen
            if seen == before and seen > 0:
                break
        assert abs(seen / REQUESTS - 0.50) <= 0.06, seen
