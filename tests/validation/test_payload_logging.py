"""Payload logging in the definition: Seldon's node `logger`, `spec.logging`, the log sink."""

from __future__ import annotations

import json

import pytest

from infergraph.compile import compile_runtime, compile_values
from infergraph.loading import load_text
from infergraph.local import plan_local

from .docs import JSON, dump, native, problems, seldon

P0 = "/spec/predictors/0"
RECEIVER = "http://logger.seldon/"


def runtime(doc: JSON, predictor: str = "main") -> JSON:
    return compile_runtime(load_text(dump(doc), "g.yaml"))[predictor]


def test_a_seldondeployment_with_a_logger_compiles_unchanged() -> None:
    """Seldon Core v1's payload-logging example: `logger` on a graph node."""
    doc = seldon(graph={"name": "clf", "type": "MODEL", "logger": {"url": RECEIVER, "mode": "all"}})
    assert problems(doc) == []
    graph = runtime(doc)
    assert graph["root"]["logger"] == {"mode": "all", "url": RECEIVER}
    assert graph["logging"]["source"] == "http://iris-main:9000/"
    assert graph["logging"]["queueSize"] == 1000


def test_seldon_defaults_a_logger_without_mode_or_url() -> None:
    """Mode all, and Seldon's default broker when nothing gives a url."""
    doc = seldon(graph={"name": "clf", "type": "MODEL", "logger": {}})
    assert runtime(doc)["root"]["logger"] == {"mode": "all", "url": "http://default-broker"}


def test_no_logger_no_logging_no_work() -> None:
    graph = runtime(native())
    assert (graph["logging"], graph["root"]["logger"]) == (None, None)
    values = compile_values(load_text(dump(native()), "g.yaml"))
    env = values["predictors"]["main"]["orchestrator"]["container"]["env"]
    assert "INFERGRAPH_NAMESPACE" not in {e["name"] for e in env}
    assert values["logSink"] is None


def _tree(**logging: JSON) -> JSON:
    clf = {"name": "clf", "implementation": "SKLEARN_SERVER", "modelUri": "gs://b/m"}
    own = {**clf, "name": "own", "logger": {"mode": "response"}}
    scaler = {"name": "scaler", "type": "TRANSFORMER", "image": "me/s:1", "children": [clf, own]}
    doc = native(logging=logging)
    doc["spec"]["predictors"][0]["graph"] = {
        "name": "avg",
        "implementation": "AVERAGE_COMBINER",
        "children": [scaler, {**clf, "name": "other"}],
    }
    return doc


def _loggers(node: JSON) -> dict[str, JSON]:
    out = {node["name"]: node["logger"]}
    for child in node["children"]:
        out.update(_loggers(child))
    return out


def test_graph_logging_is_the_logger_of_every_node_without_one() -> None:
    graph = runtime(_tree(url=RECEIVER, mode="request", sampleRate=0.25, queueSize=50))
    mine = {"mode": "request", "url": RECEIVER}
    assert _loggers(graph["root"]) == {
        "avg": mine,
        "scaler": mine,
        "clf": mine,
        "own": {"mode": "response", "url": RECEIVER},
        "other": mine,
    }
    assert (graph["logging"]["sampleRate"], graph["logging"]["queueSize"]) == (0.25, 50)


def test_mode_none_logs_only_nodes_with_their_own_logger() -> None:
    loggers = _loggers(runtime(_tree(url=RECEIVER, mode="none"))["root"])
    assert {name: v for name, v in loggers.items() if v} == {
        "own": {"mode": "response", "url": RECEIVER}
    }


def test_sink_target_resolves_to_the_sink_service_and_is_the_default_url() -> None:
    doc = _tree(sink={})
    doc["spec"]["predictors"][0]["graph"]["children"][0]["children"][1]["logger"]["url"] = "sink"
    loggers = _loggers(runtime(doc)["root"])
    assert set(json.dumps(v, sort_keys=True) for v in loggers.values()) == {
        '{"mode": "all", "url": "http://iris-logsink:9000/"}',
        '{"mode": "response", "url": "http://iris-logsink:9000/"}',
    }


def test_sink_values_emptydir_or_claim() -> None:
    values = compile_values(load_text(dump(native(logging={"sink": {}})), "g.yaml"))
    sink = values["logSink"]
    assert sink["persistentVolumeClaim"] is None
    assert sink["workload"]["fullname"] == "iris-logsink"
    assert {"name": "logs", "emptyDir": {}} in sink["workload"]["volumes"]
    assert [p["name"] for p in sink["workload"]["service"]["ports"]] == ["http", "metrics"]
    env = values["predictors"]["main"]["orchestrator"]["container"]["env"]
    assert {
        "name": "INFERGRAPH_NAMESPACE",
        "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
    } in env
    storage = {"size": "5Gi", "storageClassName": "fast"}
    doc = native(logging={"sink": {"storage": storage}})
    claimed = compile_values(load_text(dump(doc), "g.yaml"))["logSink"]
    assert claimed["persistentVolumeClaim"]["storage"] == "5Gi"
    assert claimed["persistentVolumeClaim"]["storageClassName"] == "fast"
    volume = {"name": "logs", "persistentVolumeClaim": {"claimName": "iris-logsink"}}
    assert volume in claimed["workload"]["volumes"]


def test_every_logging_problem_is_named_at_once() -> None:
    doc = native(logging={"url": "ftp://x/", "mode": "some", "sampleRate": 0, "queueSize": 0})
    doc["spec"]["predictors"][0]["graph"]["logger"] = {"url": "sink", "mode": "both"}
    assert problems(doc) == [
        '/spec/logging/mode: "some" is not supported; expected one of: "all", "request", '
        '"response", "none"',
        "/spec/logging/queueSize: 0 is too small; expected at least 1",
        "/spec/logging/sampleRate: 0 is too small; expected at least 0.0001",
        f'{P0}/graph/logger/mode: "both" is not supported; expected one of: "all", "request", '
        '"response"',
    ]
    doc = native(logging={"url": "ftp://x/"})
    doc["spec"]["predictors"][0]["graph"]["logger"] = {"url": "sink"}
    doc["spec"]["predictors"][0]["graph"]["children"] = []
    assert problems(doc) == [
        '/spec/logging/url: "ftp://x/" is neither an http:// or https:// URL with a host nor a '
        'target; expected e.g. http://logger.seldon/, "sink" (the graph\'s log sink) or '
        '"detector:NAME" (one of spec.detectors)',
        f'{P0}/graph/logger/url: "sink" names the graph\'s log sink, which this graph does '
        "not deploy; expected spec.logging.sink (spec.logging.sink: {}), or an http(s) URL",
    ]


def test_a_seldondeployment_cannot_name_the_sink() -> None:
    doc = seldon(graph={"name": "clf", "type": "MODEL", "logger": {"url": "sink"}})
    assert problems(doc) == [
        f'{P0}/graph/logger/url: "sink" names the graph\'s log sink, which this graph does '
        "not deploy; expected an InferenceGraph (spec.logging.sink: {}), or an http(s) URL"
    ]


def test_a_predictor_may_not_take_the_sinks_name() -> None:
    doc = native(logging={"sink": {}})
    doc["spec"]["predictors"][0]["name"] = "logsink"
    assert problems(doc) == [
        f'{P0}/name: "logsink" gives its orchestrator the name "iris-logsink", which the log '
        "sink (spec.logging.sink) has; expected another predictor name"
    ]


def _local(**logging: JSON) -> JSON:
    """A graph `infergraph up` can run: a model logging its responses, and its parent."""
    clf = {"name": "clf", "implementation": "SKLEARN_SERVER", "modelUri": "pvc://m/iris"}
    doc = native(logging=logging)
    doc["spec"]["predictors"][0]["graph"] = {
        "name": "avg",
        "implementation": "AVERAGE_COMBINER",
        "children": [{**clf, "logger": {"mode": "response"}}, {**clf, "name": "other"}],
    }
    return doc


def test_up_runs_the_sink_first_and_points_loggers_at_its_loopback_port() -> None:
    graph = load_text(dump(_local(sink={"storage": {"size": "1Gi"}})), "g.yaml")
    plan = plan_local(graph, compile_values(graph), 9000, "/run", "/base", "vol")
    sink = plan.processes[0]
    assert (sink.name, sink.port, sink.grpc_port, sink.metrics_port) == (
        "logsink",
        9001,
        None,
        9002,
    )
    assert sink.args[-2:] == ("--directory", "/base/vol/iris-logsink")
    runtime = json.loads(plan.files["main.graph.json"])
    urls = {v["url"] for v in _loggers(runtime["root"]).values()}
    assert urls == {"http://127.0.0.1:9001/"}
    orchestrator = next(p for p in plan.processes if p.name == "orchestrator main")
    assert runtime["logging"]["source"] == f"http://127.0.0.1:{orchestrator.port}/"
    assert orchestrator.env == {"INFERGRAPH_NAMESPACE": "default"}
    emptydir = load_text(dump(_local(sink={})), "g.yaml")
    plan = plan_local(emptydir, compile_values(emptydir), 9000, "/run", "/base", "vol")
    assert plan.processes[0].args[-1] == "/run/logsink"


DRIFT = {"name": "drift", "implementation": "DRIFT_DETECTOR", "modelUri": "pvc://m/iris"}


def test_a_logger_url_may_name_a_detector_or_the_sink_resolved_to_their_services() -> None:
    doc = native(logging={"url": "detector:drift", "sink": {}}, detectors=[DRIFT])
    clf = doc["spec"]["predictors"][0]["graph"]
    doc["spec"]["predictors"][0]["graph"] = {
        "name": "avg",
        "implementation": "AVERAGE_COMBINER",
        "children": [{**clf, "logger": {"url": "sink"}}, {**clf, "name": "other"}],
    }
    loggers = _loggers(runtime(doc)["root"])
    assert loggers == {
        "clf": {"mode": "all", "url": "http://iris-logsink:9000/"},
        "other": {"mode": "all", "url": "http://iris-drift:9000/"},
        "avg": {"mode": "all", "url": "http://iris-drift:9000/"},
    }


def test_unknown_targets_are_named_at_their_pointers_all_at_once() -> None:
    doc = native(logging={"url": "detector:nope"}, detectors=[DRIFT])
    doc["spec"]["predictors"][0]["graph"]["logger"] = {"url": "sink"}
    assert problems(doc) == [
        '/spec/logging/url: "detector:nope" names no detector of spec.detectors; expected '
        'detector:NAME with NAME one of: "drift"',
        f'{P0}/graph/logger/url: "sink" names the graph\'s log sink, which this graph does '
        "not deploy; expected spec.logging.sink (spec.logging.sink: {}), or an http(s) URL",
    ]
    doc = native(logging={"sink": {}})
    doc["spec"]["predictors"][0]["graph"]["logger"] = {"url": "detector:drift"}
    assert problems(doc) == [
        f'{P0}/graph/logger/url: "detector:drift" names no detector of spec.detectors; '
        "expected detector:NAME with NAME one of: none are declared",
    ]


def test_a_detector_may_not_take_the_sinks_name() -> None:
    doc = native(logging={"sink": {}}, detectors=[{**DRIFT, "name": "logsink"}])
    assert problems(doc) == [
        '/spec/detectors/0/name: "logsink" names its Deployment and Service "iris-logsink", as '
        "the workload of /spec/logging/sink is named; expected another detector name",
    ]


@pytest.mark.parametrize("url", ["http://logger:99999/", "http://logger:0/", "http://a b/"])
def test_a_logger_url_the_sender_could_not_open_is_refused(url: str) -> None:
    # urlsplit took these, and the orchestrator's sender then failed on every event
    doc = native()
    doc["spec"]["predictors"][0]["graph"]["logger"] = {"url": url}
    assert problems(doc) == [
        f"{P0}/graph/logger/url: {json.dumps(url)} is neither an http:// or https:// URL with a "
        'host nor a target; expected e.g. http://logger.seldon/, "sink" (the graph\'s log sink) '
        'or "detector:NAME" (one of spec.detectors)'
    ]
