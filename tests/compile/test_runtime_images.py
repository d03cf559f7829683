"""Each prepackaged node runs the server image variant its implementation declares."""

from __future__ import annotations

import pytest

from infergraph import defaults
from infergraph.compile import compile_runtime, compile_values
from infergraph.model import Graph, Node, Predictor, Resources
from infergraph.vocabulary import VOCABULARY

MODELS = [n for n, spec in VOCABULARY.implementations.items() if spec.type == "MODEL"]


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


def test_a_gpu_node_tells_its_server_how_many_gpus() -> None:
    values = compile_values(_graph("ONNX_SERVER", Resources(limits={"nvidia.com/gpu": "2"})))
    node = values["predictors"]["main"]["nodes"]["clf"]
    assert _env(values)["INFERGRAPH_GPUS"] == "2"
    assert node["container"]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in node[
        "tolerations"
    ]
