"""`spec.tracing` under `infergraph up`: the compiled OTEL_* environment reaches every local
process, which export over OTLP/HTTP to a receiver on loopback. With `samplerRatio: 0` a
request is traced only when its caller sampled it (parentbased_traceidratio), and then the
gateway passes the `traceparent` through, the orchestrator continues it, and every node server
continues the orchestrator's: one trace whose tree is the graph's walk."""

from __future__ import annotations

import json
import secrets
import shutil
from pathlib import Path

import pytest
import yaml
from orchestrator.otlp_receiver import OtlpReceiver, ReceivedSpan

from .up import Up

pytestmark = pytest.mark.e2e_local

NODES = Path(__file__).resolve().parents[1] / "orchestrator" / "graph_nodes.py"


def _graph(tmp: Path, endpoint: str) -> Path:
    def custom(name: str, type_: str, cls: str, *children: dict[str, object]) -> dict[str, object]:
        env = [{"name": "INFERGRAPH_CLASS", "value": f"graph_nodes:{cls}"}]
        containers.append({"name": name, "image": "example.com/n:1", "env": env})
        return {"name": name, "type": type_, "children": list(children)}

    containers: list[dict[str, object]] = []
    tree = custom("pre", "TRANSFORMER", "AddOne",
                  custom("router", "ROUTER", "ByTotal",
                         custom("model-a", "MODEL", "Scale"),
                         custom("model-b", "MODEL", "Scale")))  # fmt: skip
    doc = {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": "calc"},
        "spec": {
            "tracing": {"endpoint": endpoint, "samplerRatio": 0},
            "predictors": [
                {
                    "name": "main",
                    "graph": tree,
                    "componentSpecs": [{"spec": {"containers": containers}}],
                }
            ],
        },
    }
    shutil.copy(NODES, tmp)
    path = tmp / "calc.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _tree(spans: list[ReceivedSpan], span_id: str) -> tuple[str, tuple[object, ...]]:
    (span,) = [s for s in spans if s.span_id == span_id]
    below = sorted(_tree(spans, s.span_id) for s in spans if s.parent_id == span_id)
    return (f"{span.service}: {span.name}", tuple(below))


def test_up_traces_a_sampled_request_through_every_process(tmp_path: Path) -> None:
    trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
    with OtlpReceiver() as receiver:
        with Up(str(_graph(tmp_path, receiver.endpoint)), tmp_path) as up:
            conn = up.connection()
            body = json.dumps({"data": {"ndarray": [[4.0, 5.0]]}})
            for headers in (
                {"traceparent": f"00-{trace_id}-{caller}-01"},  # sampled by the caller
                {"traceparent": f"00-{secrets.token_hex(16)}-{caller}-00"},  # not sampled
                {},  # a new trace: ratio 0
            ):
                conn.request("POST", "/api/v1.0/predictions", body, headers)
                answer = conn.getresponse()
                assert answer.status == 200, answer.read()
                assert json.loads(answer.read())["meta"]["routing"]["router"] == 1
        # stopping flushed every process's spans
        assert {s.trace_id for s in receiver.spans} == {trace_id}
        spans = receiver.spans
    (front,) = [s for s in spans if s.parent_id == caller]
    assert _tree(spans, front.span_id) == (
        "calc-main: POST /api/v1.0/predictions",
        (
            (
                "calc-main: pre",
                (
                    ("calc-main-pre: POST /transform-input", ()),
                    (
                        "calc-main: router",
                        (
                            ("calc-main-router: POST /route", ()),
                            ("calc-main: model-b", (("calc-main-model-b: POST /predict", ()),)),
                        ),
                    ),
                ),
            ),
        ),
    )
    (router,) = [s for s in spans if s.name == "router"]
    assert router.attributes["infergraph.node.route"] == "model-b"
    assert router.attributes["infergraph.node.routing"] == 1
