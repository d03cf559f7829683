"""KEDA's queries against our real `/metrics`: `infergraph up`, traffic, scrapes, PromQL.

The trigger queries are read from what the compiler wrote (the example's ScaledObject) and from
Seldon's own KEDA example (corpus manifest 13, whose query is kept here verbatim and compared
with the corpus file when the corpus is present). Each is parsed by promql-parser and evaluated
over scrapes of the orchestrators' metrics pages taken while requests flow (tests/promql.py,
the subset it names): a KEDA trigger on them would see a request rate, not an empty result.
"""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from infergraph.compile import compile_values
from infergraph.loading import load
from tests.promql import Scrape, evaluate, scrape_text

from .up import EXAMPLES, Up, post

pytestmark = pytest.mark.e2e_local

EXAMPLE = "keda-autoscaling.yaml"
PREDICT = "/api/v1.0/predictions"
ROW = [5.1, 3.5, 1.4, 0.2]
#: the trigger query of seldon-core v1.17.1 examples/keda/model_with_keda_prom.yaml (corpus 13)
SELDON_QUERY = (
    'rate(seldon_api_executor_client_requests_seconds_count{model_name="classifier"}[1m])'
)
CORPUS_13 = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "corpus"
    / "seldondeployments"
    / "13-keda-prometheus-autoscaling.yaml"
)
#: Seldon executor's label names (executor/api/metric: client.go, server.go)
SERVER_LABELS = {"deployment_name", "predictor_name", "predictor_version", "service"}
SERVER_LABELS |= {"method", "code"}
CLIENT_LABELS = SERVER_LABELS | {"model_name", "model_image", "model_version"}


def _example_query() -> str:
    values = compile_values(load(EXAMPLES / EXAMPLE))
    node = values["predictors"]["main"]["nodes"]["classifier"]
    [trigger] = node["autoscaling"]["keda"]["triggers"]
    query: str = trigger["metadata"]["query"]
    return query


def _scrape(ports: list[int]) -> Scrape:
    """One scrape of every orchestrator's metrics page, as Prometheus would see them together."""
    text = "".join(
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        for port in ports
    )
    return scrape_text(text, time.monotonic())


def test_seldon_query_matches_corpus_13() -> None:
    if not CORPUS_13.exists():
        pytest.skip(f"SeldonDeployment corpus not found at {CORPUS_13.parent}")
    manifest = yaml.safe_load(CORPUS_13.read_text())
    [trigger] = manifest["spec"]["predictors"][0]["componentSpecs"][0]["kedaSpec"]["triggers"]
    assert trigger["metadata"]["query"] == SELDON_QUERY


def test_keda_trigger_queries_read_a_request_rate_from_the_orchestrators(workdir: Path) -> None:
    with Up(EXAMPLE, workdir, seed=3) as up:
        metrics = [port + 2 for name, port in up.ports.items() if name.startswith("orchestrator")]
        conn = up.connection()
        scrapes = []
        for _ in range(4):  # four scrapes about a second apart, 100 requests before each
            for _ in range(100):
                status, _, out = post(conn, PREDICT, {"data": {"ndarray": [ROW]}})
                assert status == 200, out
            scrapes.append(_scrape(metrics))
            time.sleep(1.0)
        last = scrapes[-1].samples

        names = {
            dict(labels)["__name__"]: set(dict(labels)) - {"__name__", "le"} for labels in last
        }
        assert names["seldon_api_executor_server_requests_seconds_count"] == SERVER_LABELS
        assert names["seldon_api_executor_client_requests_seconds_count"] == CLIENT_LABELS

        seldon = evaluate(SELDON_QUERY, scrapes)
        assert isinstance(seldon, dict)
        by_predictor = {dict(labels)["predictor_name"]: rate for labels, rate in seldon.items()}
        assert set(by_predictor) == {"main", "canary"}  # both predictors' node is "classifier"
        assert all(rate > 0 for rate in by_predictor.values()), by_predictor
        [series] = [dict(labels) for labels in seldon if dict(labels)["predictor_name"] == "main"]
        assert series == {
            "deployment_name": "iris-keda",
            "predictor_name": "main",
            "predictor_version": "",
            "service": "/predict",
            "model_name": "classifier",
            "model_image": "ghcr.io/infergraph/infergraph-server",
            "model_version": "0.1.0",
            "method": "post",
            "code": "200",
        }

        ours = evaluate(_example_query(), scrapes)
        assert isinstance(ours, dict) and len(ours) == 1  # KEDA wants exactly one value
        [rate] = ours.values()
        # ~90 of every 100 requests reach main; four scrapes ~1.x s apart: tens of calls a second
        assert rate == pytest.approx(by_predictor["main"])
        assert 5 < rate < 1000, rate
