"""`spec.detectors`: validation (one problem per rule, with its pointer), compiled values,
logger-url resolution (`detector:NAME`) and the local plan of `infergraph up`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from infergraph.compile import compile_values
from infergraph.compile.log_targets import resolve_target, target_problem, targets
from infergraph.loading import load, load_text
from infergraph.local import plan_local
from tests.validation.docs import JSON, dump, native, problems, seldon

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples/detectors.yaml"
D0 = "/spec/detectors/0"


def drift(name: str = "drift", **fields: JSON) -> JSON:
    return {
        "name": name,
        "implementation": "DRIFT_DETECTOR",
        "modelUri": "pvc://ref/iris",
        **fields,
    }


def with_detectors(*items: JSON) -> JSON:
    return native(detectors=list(items))


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            with_detectors(drift(parameters=[{"name": "windowSize", "type": "INT", "value": "1"}])),
            f"{D0}/parameters/0/value: 1 is out of range; expected at least 2 (rows per tested "
            "window; a test runs each time the window fills, then a new window starts)",
        ),
        (
            with_detectors(drift(parameters=[{"name": "window", "type": "INT", "value": "5"}])),
            f'{D0}/parameters/0/name: "window" is not a parameter of DRIFT_DETECTOR; expected one '
            "of: windowSize, pValue, correction, categoricalFeatures",
        ),
        (
            with_detectors(drift(parameters=[{"name": "pValue", "type": "INT", "value": "1"}])),
            f'{D0}/parameters/0/type: "INT" is not the type of pValue; expected FLOAT or DOUBLE',
        ),
        (
            with_detectors(
                drift(parameters=[{"name": "correction", "type": "STRING", "value": "holm"}])
            ),
            f'{D0}/parameters/0/value: "holm" is not supported; expected one of: "bonferroni", '
            '"fdr"',
        ),
        (
            with_detectors(
                {
                    "name": "o",
                    "implementation": "OUTLIER_DETECTOR",
                    "modelUri": "x",
                    "parameters": [
                        {"name": "method", "type": "STRING", "value": "lof"},
                    ],
                }
            ),
            f'{D0}/parameters/0/value: "lof" is not supported; expected one of: "mahalanobis", '
            '"isolationforest"',
        ),
        (
            with_detectors(drift(modelUri="ftp://host/ref.npy")),
            f'{D0}/modelUri: "ftp://host/ref.npy" has an unsupported scheme "ftp"; expected gs://, '
            "s3://, https://, http://, pvc://, file:// or a local path",
        ),
        (
            with_detectors(drift(), drift()),
            '/spec/detectors/1/name: "drift" is already used at /spec/detectors/0; expected '
            "unique detector names",
        ),
        (
            with_detectors(drift("main")),
            f'{D0}/name: "main" names its Deployment and Service "iris-main", as the workload of '
            "/spec/predictors/0 is named; expected another detector name",
        ),
        (
            with_detectors(drift("main-clf")),
            f'{D0}/name: "main-clf" names its Deployment and Service "iris-main-clf", as the '
            "workload of /spec/predictors/0/graph is named; expected another detector name",
        ),
    ],
    ids=[
        "range",
        "unknown-parameter",
        "parameter-type",
        "enum",
        "outlier-method",
        "scheme",
        "duplicate",
        "orchestrator-name",
        "node-name",
    ],
)
def test_each_rule_names_its_pointer(doc: JSON, expected: str) -> None:
    assert problems(doc) == [expected]


def test_schema_problems_name_the_field() -> None:
    doc = with_detectors({"name": "d", "implementation": "DRIFT", "eventsUrl": ""})
    found = problems(doc)
    assert [p.split(": ")[0] for p in found] == [
        f"{D0}/eventsUrl",
        f"{D0}/implementation",
        f"{D0}/modelUri",
    ]
    assert found[0].endswith("is empty; expected a non-empty string")
    assert '"OUTLIER_DETECTOR", "DRIFT_DETECTOR"' in found[1]


@pytest.mark.parametrize(
    "url",
    ["ftp://alerts/", "alerts.monitoring", "http:///events", "http://a:99999/", "http://a b/"],
    ids=["scheme", "no-scheme", "no-host", "port-range", "space"],
)
def test_a_bad_events_url_is_named_with_the_others(url: str) -> None:
    doc = with_detectors(drift(eventsUrl=url), drift("second", eventsUrl="https://ok/"))
    doc["spec"]["detectors"].append(drift("third", eventsUrl=url))
    expected = (
        f"{json.dumps(url)} is not an http(s) URL with a host; expected where findings go, e.g. "
        "http://alerts.monitoring/ or https://alerts.example.com/detector"
    )
    assert problems(doc) == [
        f"{D0}/eventsUrl: {expected}",
        f"/spec/detectors/2/eventsUrl: {expected}",
    ]


@pytest.mark.parametrize(
    "url", ["http://alerts.monitoring/", "https://alerts.example.com:8443/in?key=1"]
)
def test_http_and_https_events_urls_compile_into_the_detector(url: str) -> None:
    values = compile_values(load_text(dump(with_detectors(drift(eventsUrl=url))), "g.yaml"))
    env = {e["name"]: e["value"] for e in values["detectors"]["drift"]["container"]["env"]}
    assert env["INFERGRAPH_EVENTS_URL"] == url


def test_a_seldondeployment_takes_no_detectors() -> None:
    doc = seldon()
    doc["spec"]["detectors"] = [drift()]
    assert problems(doc)[0].startswith("/spec/detectors: ")


def test_values_of_the_example_are_a_workload_per_detector() -> None:
    values = compile_values(load(EXAMPLE))
    schema = json.loads((ROOT / "schemas/values.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(values)
    assert list(values["detectors"]) == ["drift", "outliers"]
    drift_values = values["detectors"]["drift"]
    assert drift_values["fullname"] == "iris-watched-drift"
    assert drift_values["selectorLabels"] == {
        "app.kubernetes.io/instance": "iris-watched",
        "app.kubernetes.io/component": "detector",
        "infergraph.io/detector": "drift",
    }
    assert drift_values["replicas"] == 1
    container = drift_values["container"]
    assert (container["name"], container["args"]) == ("drift", ["detector"])
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["INFERGRAPH_DETECTOR"] == "DRIFT_DETECTOR"
    assert env["INFERGRAPH_MODEL_URI"] == "/mnt/pvc/iris"
    assert env["INFERGRAPH_WORKERS"] == "1"
    assert json.loads(env["INFERGRAPH_PARAMETERS"])[0] == {
        "name": "windowSize",
        "type": "INT",
        "value": "50",
    }
    assert "INFERGRAPH_EVENTS_URL" not in env
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"


def test_events_url_and_remote_reference_data() -> None:
    doc = with_detectors(
        drift(modelUri="s3://bucket/ref.npy", envSecretRefName="s3", eventsUrl="http://sink:80/")
    )
    values = compile_values(load_text(dump(doc), "g.yaml"))["detectors"]["drift"]
    env = {e["name"]: e["value"] for e in values["container"]["env"]}
    assert env["INFERGRAPH_EVENTS_URL"] == "http://sink:80/"
    (initializer,) = values["initContainers"]
    assert initializer["args"] == ["s3://bucket/ref.npy", "/mnt/models"]
    assert initializer["envFrom"] == [{"secretRef": {"name": "s3"}}]


def test_no_detectors_no_detector_values() -> None:
    assert compile_values(load_text(dump(native()), "g.yaml"))["detectors"] == {}


def test_logger_urls_naming_a_detector_resolve_to_its_service_or_loopback() -> None:
    graph = load(EXAMPLE)
    cluster = targets(graph)
    assert cluster == {
        "detector:drift": "http://iris-watched-drift:9000/",
        "detector:outliers": "http://iris-watched-outliers:9000/",
    }
    assert resolve_target("detector:drift", cluster) == "http://iris-watched-drift:9000/"
    assert resolve_target("http://sink:80/", cluster) == "http://sink:80/"
    assert target_problem("detector:drift", cluster) is None
    assert target_problem("http://sink:80/", cluster) is None
    assert target_problem("detector:nope", cluster) == (
        '"detector:nope" names no detector of spec.detectors; expected detector:NAME with NAME '
        'one of: "drift", "outliers"'
    )
    plan = plan_local(graph, compile_values(graph), 8080, "/run", "/base", "volumes")
    assert plan.targets == {
        "detector:drift": "http://127.0.0.1:8087/",
        "detector:outliers": "http://127.0.0.1:8089/",
    }


def test_up_starts_detectors_first_on_ports_after_the_others() -> None:
    graph = load(EXAMPLE)
    plan = plan_local(graph, compile_values(graph), 8080, "/run", "/base", "volumes")
    names = [p.name for p in plan.processes]
    assert names == [
        "detector drift",
        "detector outliers",
        "node main/classifier",
        "orchestrator main",
        "gateway",
    ]
    drift_process = plan.processes[0]
    assert drift_process.args[0] == "detector"
    assert (drift_process.port, drift_process.grpc_port, drift_process.metrics_port) == (
        8087,
        None,
        8088,
    )
    assert drift_process.env["INFERGRAPH_MODEL_URI"] == "/base/volumes/infergraph-models/iris"
    ports = [port for port, _ in plan.listeners()]
    assert len(ports) == len(set(ports))
