"""The shared corpus of real SeldonDeployments (../shared/corpus): which load, which fail, why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from infergraph.checks import check_objects
from infergraph.compile import compile_values
from infergraph.defaults import SERVER_IMAGE
from infergraph.loading import load, load_with_warnings
from infergraph.model import Autoscaling, KedaScaling, Resources
from infergraph.render import render_values
from tests.jsonnet.test_parity import assert_parity

#: beside the checkout; INFERGRAPH_CORPUS points elsewhere (a git worktree away from it)
CORPUS = Path(
    os.environ.get("INFERGRAPH_CORPUS")
    or Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "seldondeployments"
)
if not CORPUS.is_dir():  # one reason line, not one per test
    pytest.skip(f"SeldonDeployment corpus not found at {CORPUS}", allow_module_level=True)

LOADS = [
    "01-single-model-custom-image.yaml",
    "02-prepackaged-sklearn-server.yaml",
    "03-ab-traffic-split-mlflow.yaml",
    "04-shadow-predictor-istio.yaml",
    "05-combiner.yaml",
    "06-input-transformer-model-output-transformer.yaml",
    "07-router-epsilon-greedy-bandit.json",
    "08-random-abtest-router.json",
    "09-gpu-tensorflow-mnist.json",
    "10-hpa-autoscaling-v2.yaml",
    "11-complex-graph-transformer-abtest-combiner.json",
    "12-separate-svc-orch-pod.json",
    "13-keda-prometheus-autoscaling.yaml",
    "14-thompson-sampling-router-routing-injection.json",
    "15-v2-protocol-triton-mlserver-chain.yaml",
]


def test_every_corpus_file_is_pinned() -> None:
    files = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".yaml", ".json"))
    assert files == sorted(LOADS)  # every file of the corpus compiles


@pytest.mark.parametrize("name", LOADS)
def test_corpus_file_loads(name: str) -> None:
    assert load(CORPUS / name).kind == "SeldonDeployment"


@pytest.mark.parametrize("name", LOADS)
def test_corpus_file_renders_valid_objects_alike_with_both_engines(name: str) -> None:
    values = compile_values(load(CORPUS / name))
    problems = check_objects(render_values(values, "helm"))
    assert not problems, "\n".join(map(str, problems))
    assert_parity(values)


def test_corpus_mapping() -> None:
    abtest = load(CORPUS / "08-random-abtest-router.json").predictors[0]
    router = abtest.graph
    assert (router.type, router.implementation, router.parameters[0].value) == (
        "ROUTER",
        "RANDOM_ABTEST",
        0.5,
    )
    second = router.children[1]
    assert (second.image, second.labels, second.termination_grace_period_seconds) == (
        "seldonio/mock_classifier:1.0",
        {"version": "v2"},
        20,
    )
    assert second.resources == Resources(requests={"memory": "1Mi"}, limits={})
    hpa = load(CORPUS / "10-hpa-autoscaling-v2.yaml").predictors[0].graph.autoscaling
    cpu = {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 10}}
    at = "/spec/predictors/0/componentSpecs/0"
    assert hpa == Autoscaling(1, 3, ({"resource": cpu, "type": "Resource"},), f"{at}/hpaSpec")
    keda = load(CORPUS / "13-keda-prometheus-autoscaling.yaml").predictors[0].graph.autoscaling
    assert isinstance(keda, KedaScaling)
    assert (keda.pointer, keda.polling_interval, keda.cooldown_period) == (
        f"{at}/kedaSpec",
        15,
        300,
    )
    assert (keda.min_replica_count, keda.max_replica_count) == (1, 5)
    [trigger] = keda.triggers
    assert trigger["metadata"]["query"] == (
        'rate(seldon_api_executor_client_requests_seconds_count{model_name="classifier"}[1m])'
    )
    gpu = load(CORPUS / "09-gpu-tensorflow-mnist.json").predictors[0].graph.resources
    assert gpu is not None and gpu.gpus == 1
    chain = load(CORPUS / "06-input-transformer-model-output-transformer.yaml").predictors[0]
    assert [(n.name, n.type, n.endpoint_type) for n in chain.graph.walk()] == [
        ("output-transformer", "OUTPUT_TRANSFORMER", "GRPC"),
        ("input-transformer", "TRANSFORMER", "GRPC"),
        ("model", "MODEL", "GRPC"),
    ]
    sklearn = load(CORPUS / "02-prepackaged-sklearn-server.yaml").predictors[0]
    assert sklearn.orchestrator.env == ({"name": "SELDON_LOG_LEVEL", "value": "DEBUG"},)
    assert sklearn.graph.image is None
    triton = load(CORPUS / "15-v2-protocol-triton-mlserver-chain.yaml")
    chain = triton.predictors[0].graph
    assert [(n.name, n.implementation, n.image) for n in chain.walk()] == [
        ("tokeniser-encoder", None, "seldonio/gpt2-tokeniser:0.1.0"),
        ("gpt2", "TRITON_SERVER", None),  # no container: Triton's is added, as Seldon does
        ("tokeniser-decoder", None, "seldonio/gpt2-tokeniser:0.1.0"),
    ]
    assert triton.protocol == "v2"
    shadow = load(CORPUS / "04-shadow-predictor-istio.yaml").predictors
    assert [(p.name, p.shadow, p.traffic) for p in shadow] == [
        ("default", False, None),
        ("shadow", True, None),
    ]


def test_corpus_mlflow_runs_in_the_mlflow_image_variant() -> None:
    values = compile_values(load(CORPUS / "03-ab-traffic-split-mlflow.yaml"))
    nodes = [n for p in values["predictors"].values() for n in p["nodes"].values()]
    assert [n["container"]["image"] for n in nodes] == [f"{SERVER_IMAGE}-mlflow"] * 2
    env = [{e["name"]: e.get("value") for e in n["container"]["env"]} for n in nodes]
    assert [e["INFERGRAPH_IMPLEMENTATION"] for e in env] == ["MLFLOW_SERVER"] * 2
    assert [e["INFERGRAPH_MODEL_URI"] for e in env] == ["/mnt/models"] * 2


def test_corpus_warnings() -> None:
    loaded = load_with_warnings(CORPUS / "12-separate-svc-orch-pod.json")
    assert [f"{w.line}:{w.col}: {w.pointer}: {w.message}" for w in loaded.warnings] == [
        "12:7: /spec/annotations/seldon.io~1engine-separate-pod: ignored: the orchestrator "
        "always has its own Deployment; honoured annotations: seldon.io/grpc-max-message-size, "
        "seldon.io/grpc-timeout, seldon.io/istio-gateway, seldon.io/istio-host, "
        "seldon.io/istio-retries, seldon.io/rest-timeout, seldon.io/svc-name",
        "14:5: /spec/name: is deprecated by Seldon and ignored; metadata.name names the graph",
    ]
    assert loaded.graph.annotations == {}
