"""The log sink's objects: none by default, an emptyDir or a claim, and where loggers point."""

from __future__ import annotations

import json

from infergraph.model import Logging, LogSink

from .render import compile_graph, find, predictor, render_chart


def _logging(sink: LogSink | None) -> Logging:
    return Logging("/spec/logging", None, "all", 1.0, 1000, sink)


def test_no_sink_no_objects() -> None:
    objects = render_chart(compile_graph(predictor(), logging=_logging(None)))
    assert find(objects, "PersistentVolumeClaim") == []
    names = sorted(o["metadata"]["name"] for o in find(objects, "Deployment"))
    assert names == ["iris-main", "iris-main-classifier"]


def test_sink_with_emptydir_and_the_loggers_pointing_at_its_service() -> None:
    values = compile_graph(predictor(), logging=_logging(LogSink("/spec/logging/sink")))
    objects = render_chart(values)
    assert find(objects, "PersistentVolumeClaim") == []
    (deployment,) = find(objects, "Deployment", "iris-logsink")
    pod = deployment["spec"]["template"]["spec"]
    assert {"name": "logs", "emptyDir": {}} in pod["volumes"]
    (container,) = pod["containers"]
    assert container["args"] == ["logsink", "--directory", "/var/lib/infergraph/logs"]
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    (service,) = find(objects, "Service", "iris-logsink")
    assert [p["name"] for p in service["spec"]["ports"]] == ["http", "metrics"]
    assert service["spec"]["selector"] == {
        "app.kubernetes.io/instance": "iris",
        "app.kubernetes.io/component": "logsink",
    }
    (config,) = find(objects, "ConfigMap")
    runtime = json.loads(config["data"]["graph.json"])
    assert runtime["root"]["logger"] == {"mode": "all", "url": "http://iris-logsink:9000/"}


def test_sink_with_a_claim() -> None:
    sink = LogSink("/spec/logging/sink", storage_size="10Gi", storage_class="fast")
    objects = render_chart(compile_graph(predictor(), logging=_logging(sink)))
    (claim,) = find(objects, "PersistentVolumeClaim", "iris-logsink")
    assert claim["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "storageClassName": "fast",
    }
    (deployment,) = find(objects, "Deployment", "iris-logsink")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    assert {"name": "logs", "persistentVolumeClaim": {"claimName": "iris-logsink"}} in volumes
