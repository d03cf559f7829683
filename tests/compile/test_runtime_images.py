"""Each prepackaged node runs the server image variant its implementation declares."""

from __future__ import annotations

import pytest

from infergraph import defaults
from infergraph.compile import compile_runtime, compile_values
from infergraph.model import Graph, Node, Predictor, Resources
from infergraph.render_helm import render_helm
from infergraph.vocabulary import VOCABULARY
from tests.jsonnet.test_parity import assert_parity

#: models our server serves (own containers, TRITON_SERVER: tests/compile/test_own_container.py)
MODELS = [
    name
    for name, spec in VOCABULARY.implementations.items()
    if spec.type == "MODEL" and spec.container is None
]


def _graph(implementation: str, resources: Resources | None = None) -> Graph:
    node = Node(name="clf", type="MODEL", pointer="/x", implementation=implementation,
                model_uri="gs://bucket/model", resources=resources)  # fmt: skip
    predictor = Predictor(name="main", graph=node, pointer="/p")
    return Graph(name="iris", source="t.yaml", predictors=(predictor,))


def _env(values: dict[str, object]) -> dict[str, str]:
    node = values["predictors"]["main"]["nodes"]["clf"]  # type: ignore[index]
    return {e["name"]: e.get("value") for e in node["container"]["env"]}


@pytest.mark.parametrize("implementation", MODELS)
def test_a_node_runs_its_implementations_image_in_pod_and_runtime_graph(
    implementation: str,
) -> None:
    variant = VOCABULARY.implementations[implementation].image_variant
    expected = defaults.SERVER_IMAGE + ("" if variant is None else f"-{variant}")
    graph = _graph(implementation)
    values = compile_values(graph)
    assert values["predictors"]["main"]["nodes"]["clf"]["container"]["image"] == expected
    assert compile_runtime(graph)["main"]["root"]["image"] == expected
    assert values["predictors"]["main"]["orchestrator"]["container"]["image"] == (
        defaults.SERVER_IMAGE
    )
    assert "INFERGRAPH_GPUS" not in _env(values)


def test_the_runtime_libraries_have_their_variants() -> None:
    variants = {n: s.image_variant for n, s in VOCABULARY.implementations.items()}
    assert {n: variants[n] for n in ("XGBOOST_SERVER", "LIGHTGBM_SERVER")} == {
        "XGBOOST_SERVER": "xgboost",
        "LIGHTGBM_SERVER": "lightgbm",
    }
    assert (variants["ONNX_SERVER"], variants["MLFLOW_SERVER"]) == ("onnx", "mlflow")
    assert variants["SKLEARN_SERVER"] is None


@pytest.mark.parametrize("implementation", MODELS)
def test_a_gpu_node_runs_its_implementations_gpu_variant_if_it_declares_one(
    implementation: str,
) -> None:
    """A node with an nvidia.com/gpu limit runs the declared GPU variant (ONNX_SERVER:
    `-onnx-gpu`, onnxruntime-gpu and NVIDIA's CUDA wheels), the others their usual image."""
    declared = VOCABULARY.implementations[implementation]
    variant = declared.image_variant if declared.gpu_image is None else declared.gpu_image.variant
    expected = defaults.SERVER_IMAGE + ("" if variant is None else f"-{variant}")
    graph = _graph(implementation, Resources(limits={"nvidia.com/gpu": "1"}))
    values = compile_values(graph)
    assert values["predictors"]["main"]["nodes"]["clf"]["container"]["image"] == expected
    assert compile_runtime(graph)["main"]["root"]["image"] == expected


def test_onnx_has_a_gpu_variant_of_its_own_and_helm_and_jsonnet_render_it() -> None:
    gpu = VOCABULARY.implementations["ONNX_SERVER"].gpu_image
    assert gpu is not None and (gpu.variant, gpu.extra) == ("onnx-gpu", "onnx-gpu")
    assert [n for n, s in VOCABULARY.implementations.items() if s.gpu_image] == ["ONNX_SERVER"]
    values = compile_values(_graph("ONNX_SERVER", Resources(limits={"nvidia.com/gpu": "1"})))
    assert_parity(values)
    (deployment,) = [o for o in render_helm(values, "models") if o["kind"] == "Deployment"
                     and o["metadata"]["name"] == "iris-main-clf"]  # fmt: skip
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == f"{defaults.SERVER_IMAGE}-onnx-gpu"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_a_gpu_node_tells_its_server_how_many_gpus() -> None:
    values = compile_values(_graph("ONNX_SERVER", Resources(limits={"nvidia.com/gpu": "2"})))
    node = values["predictors"]["main"]["nodes"]["clf"]
    assert _env(values)["INFERGRAPH_GPUS"] == "2"
    assert node["container"]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in node[
        "tolerations"
    ]
