"""`--runtime containers` planning without Docker: rendered objects in, pods and refusals out."""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from infergraph.api import compile_values
from infergraph.containers.model import FieldRef, Pod
from infergraph.containers.plan import RunOptions, plan_run
from infergraph.containers.podenv import PodFacts, expand, resolve
from infergraph.containers.quantity import parse_quantity
from infergraph.errors import InvalidGraph
from infergraph.loading import load
from infergraph.render import render_values

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.yaml"))
OPTIONS = RunOptions("graph.yaml", "/claims", 8080)
HELM_ONLY = ("helm.sh/chart", "app.kubernetes.io/managed-by")  # labels only helm adds


@functools.cache
def _rendered(example: str, engine: str = "helm") -> tuple[Any, list[Any]]:
    values = compile_values(load(str(ROOT / "examples" / example)))
    return values, render_values(values, engine)  # type: ignore[arg-type]


def rendered(example: str, engine: str = "helm") -> tuple[Any, list[Any]]:
    """A private copy of an example's compiled values and rendered objects."""
    return copy.deepcopy(_rendered(example, engine))


def deployment(objects: list[Any], name: str) -> Any:
    return next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


def refusals(values: Any, objects: list[Any], options: RunOptions = OPTIONS) -> list[str]:
    with pytest.raises(InvalidGraph) as caught:
        plan_run(objects, values, options)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_plans_the_same_through_helm_and_jsonnet(example: str) -> None:
    values, objects = rendered(example, "helm")
    helm = plan_run(objects, values, OPTIONS)
    values, objects = rendered(example, "jsonnet")
    jsonnet = plan_run(objects, values, OPTIONS)
    assert helm.test is not None
    labels = {k: v for k, v in helm.test.labels.items() if k not in HELM_ONLY}
    assert replace(helm, test=replace(helm.test, labels=labels)) == jsonnet
    deployments = [o for o in _rendered(example)[1] if o["kind"] == "Deployment"]
    expected = sum(d["spec"].get("replicas") or 1 for d in deployments)
    assert len(helm.pods) == expected


def test_a_node_pod_is_its_template_as_written() -> None:
    values, objects = rendered("ab-test.yaml")
    template = deployment(objects, "iris-ab-main-model-a")["spec"]["template"]["spec"]
    written = template["containers"][0]
    plan = plan_run(objects, values, OPTIONS)
    pod = next(p for p in plan.pods if p.owner == "Deployment/iris-ab-main-model-a")
    (container,) = pod.containers
    assert container.image == written["image"]
    assert container.args == tuple(written["args"])
    assert container.command is None
    assert dict(container.env) == {e["name"]: e["value"] for e in written["env"]}
    assert (container.user, container.group) == (
        template["securityContext"]["runAsUser"],
        template["securityContext"]["runAsGroup"],
    )
    assert container.read_only_root and container.no_new_privileges and container.run_as_non_root
    assert container.cap_drop == ("ALL",)
    assert container.memory_limit == parse_quantity(written["resources"]["limits"]["memory"])
    assert pod.grace_seconds == template["terminationGracePeriodSeconds"]
    assert pod.group_add == (template["securityContext"]["fsGroup"],)
    liveness = written["livenessProbe"]
    assert container.liveness is not None
    assert (container.liveness.period, container.liveness.failure_threshold) == (
        liveness["periodSeconds"],
        liveness["failureThreshold"],
    )
    assert container.liveness.handler.path == liveness["httpGet"]["path"]
    assert container.liveness.handler.port == container.ports[liveness["httpGet"]["port"]]
    assert container.pre_stop is not None and container.pre_stop.action == "sleep"
    claim = next(v for v in pod.volumes if v.kind == "claim")
    assert claim.claim_dir == "/claims/infergraph-models"
    assert all(m.read_only for m in container.mounts if m.volume == claim.name)


def test_service_names_resolve_to_the_pods_they_select() -> None:
    values, objects = rendered("ab-test.yaml")
    plan = plan_run(objects, values, OPTIONS)
    by_owner = {p.owner: p for p in plan.pods}
    node = by_owner["Deployment/iris-ab-main-model-a"]
    assert "iris-ab-main-model-a" in node.aliases
    assert "iris-ab-main-model-a.default.svc.cluster.local" in node.aliases
    orchestrator = by_owner["Deployment/iris-ab-main"]
    assert {"iris-ab", "iris-ab-main"} <= set(orchestrator.aliases)
    assert "iris-ab" not in node.aliases


def test_the_orchestrator_reads_its_graph_from_the_rendered_configmap() -> None:
    values, objects = rendered("ab-test.yaml")
    config = next(o for o in objects if o["kind"] == "ConfigMap")
    plan = plan_run(objects, values, OPTIONS)
    orchestrator = next(p for p in plan.pods if p.owner == "Deployment/iris-ab-main")
    volume = next(v for v in orchestrator.volumes if v.kind == "configMap")
    assert dict(volume.files) == config["data"]


def test_the_gateway_routes_to_each_predictor_service_and_publishes_on_loopback() -> None:
    values, objects = rendered("canary-75-25.yaml")
    plan = plan_run(objects, values, RunOptions("g.yaml", "/claims", 18080, seed=3))
    gateway = plan.gateway
    (publish,) = gateway.publish
    assert publish.host_port == 18080
    config = next(v for v in gateway.volumes if v.kind == "configMap").files["gateway.json"]
    assert '"host": "iris-canary-canary"' in config and '"traffic": 25' in config
    assert ("INFERGRAPH_SEED", "3") in gateway.containers[0].env
    assert gateway.containers[0].read_only_root


def test_the_helm_test_pod_is_kept_to_run_once() -> None:
    values, objects = rendered("sklearn-single.yaml")
    test = plan_run(objects, values, OPTIONS).test
    assert isinstance(test, Pod)
    assert test.restart == "Never" and test.containers[0].command is not None


def test_unimplemented_fields_are_refused_by_name_all_at_once() -> None:
    values, objects = rendered("sklearn-single.yaml")
    spec = deployment(objects, "iris-main-classifier")["spec"]["template"]["spec"]
    spec["hostNetwork"] = True
    spec["containers"][0]["stdin"] = True
    spec["volumes"].append({"name": "host", "hostPath": {"path": "/"}})
    spec["containers"][0]["livenessProbe"]["grpc"] = {"port": 9500}
    found = refusals(values, objects)
    where = "graph.yaml: Deployment/iris-main-classifier: /spec/template/spec"
    for field in (
        "/hostNetwork",
        "/containers/0/stdin",
        "/volumes/2/hostPath",
        "/containers/0/livenessProbe/grpc",
    ):
        assert any(f.startswith(f"{where}{field}: not implemented") for f in found), (field, found)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda c, s: c.update(imagePullPolicy="Always"), "containers/0/imagePullPolicy", "never"),
        (
            lambda c, s: c["securityContext"].update(runAsUser=0),
            "containers/0/securityContext/runAsUser",
            "runAsNonRoot",
        ),
        (
            lambda c, s: s.update(automountServiceAccountToken=True),
            "automountServiceAccountToken",
            "no API server",
        ),
        (
            lambda c, s: c["env"].append(
                {"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "status.phase"}}}
            ),
            "containers/0/env/9/valueFrom/fieldRef/fieldPath",
            "not filled",
        ),
        (
            lambda c, s: c["resources"]["limits"].update({"example.com/fpga": 1}),
            "containers/0/resources/limits/example.com~1fpga",
            "not implemented",
        ),
        (
            lambda c, s: c["readinessProbe"]["httpGet"].update(scheme="HTTPS"),
            "containers/0/readinessProbe/httpGet/scheme",
            "only HTTP",
        ),
        (
            lambda c, s: c["securityContext"]["seccompProfile"].update(type="Localhost"),
            "containers/0/securityContext/seccompProfile/type",
            "RuntimeDefault",
        ),
    ],
)
def test_values_the_runner_cannot_honour_are_refused(change: Any, field: str, words: str) -> None:
    values, objects = rendered("sklearn-single.yaml")
    spec = deployment(objects, "iris-main-classifier")["spec"]["template"]["spec"]
    change(spec["containers"][0], spec)
    found = refusals(values, objects)
    prefix = f"graph.yaml: Deployment/iris-main-classifier: /spec/template/spec/{field}: "
    assert any(f.startswith(prefix) and words in f for f in found), found


def test_a_service_on_another_port_than_its_pods_is_refused_by_name() -> None:
    values, objects = rendered("sklearn-single.yaml")
    service = next(o for o in objects if o["metadata"]["name"] == "iris-main-classifier")
    service["spec"]["ports"][0]["port"] = 80
    (found,) = refusals(values, objects)
    assert found.startswith("graph.yaml: Service/iris-main-classifier: /spec/ports/0/targetPort: ")
    assert "port 9000" in found and "80" in found


def test_remote_models_are_refused_naming_the_node_and_the_way_out() -> None:
    graph = load(str(ROOT / "examples" / "sklearn-single.yaml"))
    values = compile_values(graph)
    classifier = values["predictors"]["main"]["nodes"]["classifier"]
    assert classifier["initContainers"] == []  # pvc: no storage initializer
    objects = copy.deepcopy(_rendered("sklearn-single.yaml")[1])
    spec = deployment(objects, "iris-main-classifier")["spec"]["template"]["spec"]
    spec["initContainers"] = [
        {"name": "storage-initializer", "image": "kserve/storage-initializer:v0.14.1"}
        | {"args": ["gs://bucket/iris", "/mnt/models"]}
    ]
    found = refusals(values, objects)
    assert any(
        'node "classifier"' in f and "gs://bucket/iris" in f and "--volumes" in f for f in found
    )


def test_a_gpu_limit_without_an_nvidia_runtime_is_one_warning_naming_the_node() -> None:
    values, objects = rendered("gpu-model.yaml")
    plan = plan_run(objects, values, OPTIONS)
    (warning,) = plan.warnings
    assert 'node "classifier"' in warning and "nvidia.com/gpu" in warning
    assert all(c.gpus == 0 for p in plan.pods for c in p.containers)
    with_gpu = plan_run(objects, values, RunOptions("g.yaml", "/claims", 8080, gpu_runtime=True))
    assert with_gpu.warnings == ()
    assert [c.gpus for p in with_gpu.pods for c in p.containers if c.gpus] == [1]


def test_env_fills_the_downward_api_and_expands_references() -> None:
    values, objects = rendered("sklearn-single.yaml")
    container = plan_run(objects, values, OPTIONS).pods[0].containers[0]
    facts = PodFacts(
        name="pod-0",
        namespace="ns",
        uid="u",
        node_name="host",
        service_account="sa",
        host_ip="10.0.0.1",
        pod_ip="10.0.0.7",
        labels={"app": "x"},
        annotations={},
    )
    env = (
        ("POD", FieldRef("metadata.name")),
        ("IP", FieldRef("status.podIP")),
        ("APP", FieldRef("metadata.labels['app']")),
        ("URL", "http://$(IP):9000/$(POD)/$$(POD)/$(UNSET)"),
    )
    probe = type(container)(**{**container.__dict__, "env": env, "args": ("$(POD)",)})
    filled, command, args = resolve(probe, facts)
    assert filled == {
        "POD": "pod-0",
        "IP": "10.0.0.7",
        "APP": "x",
        "URL": "http://10.0.0.7:9000/pod-0/$(POD)/$(UNSET)",
    }
    assert (command, args) == (None, ["pod-0"])
    assert expand("$$", {}) == "$"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("512Mi", 512 * 2**20),
        ("1Gi", 2**30),
        ("100m", 0.1),
        ("2", 2.0),
        ("1e3", 1000.0),
        ("1k", 1e3),
    ],
)
def test_quantities(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


def test_a_malformed_quantity_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity("12 apples")
