"""Seldon's executor histograms: which calls they see, with which labels, and their buckets."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from runtime_graph import node

from infergraph_server.metrics import render_metrics
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.seldon_metrics import (
    SELDON_BUCKETS,
    LightHistogram,
    SeldonMetrics,
)
from infergraph_server.orchestrator.transport import InProcessTransport

from .nodes import graph, seldon_node

Message = dict[str, Any]


def _samples(name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """This process's samples of `name` (a _count or _bucket series), by sorted labels."""
    out = {}
    for family in text_string_to_metric_families(render_metrics().decode()):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def _answer(path: str, msg: Message) -> Message:
    return {"data": {"ndarray": [[1.0]]}} if path == "/route" else msg


def test_every_answered_node_call_is_observed_with_seldons_labels() -> None:
    runtime = graph(node("ab", "ROUTER", node("seldon-a"), node("seldon-b")))
    transport = InProcessTransport(
        {n: seldon_node(_answer) for n in ("ab", "seldon-a", "seldon-b")}
    )
    metrics = SeldonMetrics(runtime)
    executor = Executor(runtime, transport, calls=metrics.observe_call)
    before = _samples("seldon_api_executor_client_requests_seconds_count")
    for _ in range(3):
        asyncio.run(executor.predict({"data": {"ndarray": [[2.0]]}}))
    after = _samples("seldon_api_executor_client_requests_seconds_count")
    grown = {
        dict(k)["model_name"]: v - before.get(k, 0)
        for k, v in after.items()
        if v != before.get(k, 0)
    }
    assert grown == {"ab": 3, "seldon-b": 3}  # the router, then the child it picked
    [labels] = [dict(k) for k in after if dict(k)["model_name"] == "seldon-b"]
    assert labels == {
        "deployment_name": runtime.graph,
        "predictor_name": runtime.predictor,
        "predictor_version": "",
        "service": "/predict",
        "model_name": "seldon-b",
        "model_image": "example/seldon-b",
        "model_version": "1",
        "method": "post",
        "code": "200",
    }


def test_server_observer_names_seldons_services() -> None:
    runtime = graph(node("seldon-c"))
    observe = SeldonMetrics(runtime).server_observer("infer")  # V2 infer is "predictions"
    observe(503, 0.02)
    counts = _samples("seldon_api_executor_server_requests_seconds_count")
    mine = [dict(k) for k in counts if dict(k)["code"] == "503"]
    assert {"service": "predictions", "method": "post"}.items() <= mine[0].items()


def test_light_histogram_exposes_what_prometheus_client_would() -> None:
    values = [0.0001, 0.005, 0.0051, 0.3, 0.75, 9.0, 12.0]
    light = LightHistogram("t_seconds", "t", ["a"])
    registry = CollectorRegistry()
    reference = Histogram("t_seconds", "t", ["a"], buckets=SELDON_BUCKETS, registry=registry)
    for value in values:
        light.labels("x").observe(value)
        reference.labels("x").observe(value)
    ours = CollectorRegistry()
    ours.register(light)
    strip = lambda text: [s for s in text.decode().splitlines() if "_created" not in s]  # noqa: E731
    assert strip(generate_latest(ours)) == strip(generate_latest(registry))
