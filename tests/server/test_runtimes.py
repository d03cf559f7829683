"""XGBOOST_SERVER, LIGHTGBM_SERVER, ONNX_SERVER and MLFLOW_SERVER in the data plane (no sockets).

Models are trained here with each library (bench/train_runtimes.py and a few variants: binary
and regression boosters, a column-named MLflow signature); every answer is compared, to 1e-6,
with what the library itself predicts.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import lightgbm
import mlflow.pyfunc
import mlflow.sklearn
import numpy as np
import onnxruntime
import pandas as pd
import pytest
import xgboost
from sklearn.linear_model import LogisticRegression
from train_runtimes import TRAINERS, iris

from infergraph_server.codecs.v2 import InferRequest, Tensor
from infergraph_server.component.dataplane import DataPlane
from infergraph_server.component.prepackaged.onnx import confirm, providers
from infergraph_server.errors import BadRequest, ModelError
from infergraph_server.metrics import render_metrics
from infergraph_server.settings import ComponentSettings

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]])
IMPLEMENTATION = {
    "xgboost": "XGBOOST_SERVER",
    "lightgbm": "LIGHTGBM_SERVER",
    "onnx": "ONNX_SERVER",
    "mlflow": "MLFLOW_SERVER",
}


def plane(**kw: Any) -> DataPlane:
    """A loaded, ready data plane."""
    p = DataPlane(ComponentSettings(**kw))
    asyncio.run(p.load())
    p.ready = True
    return p


def seldon(p: DataPlane, rows: np.ndarray = ROWS) -> np.ndarray:
    out = asyncio.run(p.predict({"data": {"ndarray": rows.tolist()}}))
    return np.asarray(out["data"]["ndarray"])


def close(got: Any, expected: Any) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=0, atol=1e-6)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """runtime -> (model directory, the fitted model), each trained here."""
    root = tmp_path_factory.mktemp("runtimes")
    made = {}
    for name, trainer in TRAINERS.items():
        (root / name).mkdir()
        made[name] = (root / name, trainer(root / name))
    return made


@pytest.mark.parametrize("runtime", ["xgboost", "lightgbm"])
@pytest.mark.parametrize("method", ["predict_proba", "predict"])
def test_boosters_answer_as_the_sklearn_api(
    models: dict[str, tuple[Path, Any]], runtime: str, method: str
) -> None:
    directory, model = models[runtime]
    p = plane(name="m", implementation=IMPLEMENTATION[runtime], model_uri=str(directory),
              parameters={"method": method})  # fmt: skip
    close(seldon(p), getattr(model, method)(ROWS))
    (output,) = p.metadata["outputs"]
    assert output["name"] == method and p.metadata["platform"] == runtime
    assert p.metadata["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]


def _binary_and_regression(tmp: Path, runtime: str) -> list[tuple[Path, Any, str]]:
    """(model file, fitted model, method to compare) for a binary classifier and a regressor."""
    features, target = iris()
    binary, continuous = (target == 0).astype(int), features[:, 3]
    if runtime == "xgboost":
        classifier, regressor = xgboost.XGBClassifier, xgboost.XGBRegressor
        options: dict[str, Any] = {"n_estimators": 5}
    else:
        classifier, regressor = lightgbm.LGBMClassifier, lightgbm.LGBMRegressor
        options = {"n_estimators": 5, "verbose": -1}
    fitted = [
        classifier(**options).fit(features, binary),
        regressor(**options).fit(features[:, :3], continuous),
    ]
    boosters = [m.get_booster() if runtime == "xgboost" else m.booster_ for m in fitted]
    name = {"xgboost": "model.ubj", "lightgbm": "model.txt"}[runtime]
    out = []
    for kind, model, booster in zip(("binary", "regression"), fitted, boosters, strict=True):
        (tmp / kind).mkdir()
        booster.save_model(str(tmp / kind / name))
        out.append((tmp / kind / name, model, kind))
    return out


@pytest.mark.parametrize("runtime", ["xgboost", "lightgbm"])
def test_binary_boosters_answer_two_columns_and_regressors_their_values(
    tmp_path: Path, runtime: str
) -> None:
    (binary, classifier, _), (regression, regressor, _) = _binary_and_regression(tmp_path, runtime)
    for method in ("predict_proba", "predict"):
        p = plane(name="m", implementation=IMPLEMENTATION[runtime], model_uri=str(binary),
                  parameters={"method": method})  # fmt: skip
        close(seldon(p), getattr(classifier, method)(ROWS))
        r = plane(name="m", implementation=IMPLEMENTATION[runtime], model_uri=str(regression),
                  parameters={"method": method})  # fmt: skip
        close(seldon(r, ROWS[:, :3]), regressor.predict(ROWS[:, :3]))
        assert r.metadata["outputs"][0]["shape"] == [-1]


def test_onnx_answers_the_chosen_output_as_onnxruntime_does(
    models: dict[str, tuple[Path, Any]],
) -> None:
    directory, _ = models["onnx"]
    session = onnxruntime.InferenceSession(str(directory / "model.onnx"))
    label, proba = session.run(["label", "probabilities"], {"X": ROWS.astype(np.float32)})
    first = plane(name="m", implementation="ONNX_SERVER", model_uri=str(directory))
    close(seldon(first), label)
    chosen = plane(name="m", implementation="ONNX_SERVER", model_uri=str(directory / "model.onnx"),
                   parameters={"output": "probabilities"})  # fmt: skip
    close(seldon(chosen), proba)
    assert chosen.metadata["inputs"] == [{"name": "X", "datatype": "FP32", "shape": [-1, 4]}]
    assert chosen.metadata["outputs"] == [
        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]}
    ]
    request = InferRequest([Tensor("X", "FP64", ROWS)])
    (tensor,) = asyncio.run(chosen.infer("m", request))
    assert (tensor.name, tensor.datatype) == ("probabilities", "FP32")
    close(tensor.array, proba)
    with pytest.raises(BadRequest, match=r"input: 2 tensor\(s\); the model takes 1: X"):
        asyncio.run(chosen.infer("m", InferRequest([Tensor("a", "FP64", ROWS)] * 2)))
    with pytest.raises(BadRequest, match="input: "):
        seldon(chosen, ROWS[:, :3])


def test_onnx_unknown_output_stops_the_load(models: dict[str, tuple[Path, Any]]) -> None:
    directory, _ = models["onnx"]
    with pytest.raises(ModelError, match=r"output: \"proba\" is not an output; use one of \["):
        plane(name="m", implementation="ONNX_SERVER", model_uri=str(directory),
              parameters={"output": "proba"})  # fmt: skip


def test_onnx_providers_follow_the_node_gpus() -> None:
    cuda, cpu = "CUDAExecutionProvider", "CPUExecutionProvider"
    assert providers(0, [cuda, cpu]) == [cpu]
    assert providers(1, [cuda, cpu]) == [cuda, cpu]
    with pytest.raises(RuntimeError, match=r"asks for 2 GPU.*has no CUDAExecutionProvider") as e:
        providers(2, [cpu])
    assert e.value.args[0].endswith(
        """run the image variant "-onnx-gpu" or install 'infergraph-server[onnx-gpu]'"""
    )


def test_an_onnx_gpu_node_whose_session_fell_back_to_the_cpu_is_refused(
    models: dict[str, tuple[Path, Any]],
) -> None:
    """onnxruntime-gpu without its CUDA libraries lists the CUDA provider, then runs the session
    on the CPU alone: a GPU node must not start so (the session's providers here are real)."""
    directory, _ = models["onnx"]
    session = onnxruntime.InferenceSession(
        str(directory / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    on_cpu = list(session.get_providers())
    confirm(0, on_cpu)
    with pytest.raises(RuntimeError, match=re.escape("asks for 1 GPU(s) but onnxruntime could")):
        confirm(1, on_cpu)
    with pytest.raises(
        RuntimeError, match=re.escape('container runtime) and the image variant "-onnx-gpu"')
    ):
        confirm(1, on_cpu)
    confirm(1, ["CUDAExecutionProvider", *on_cpu])


def test_an_onnx_gpu_node_on_a_cpu_onnxruntime_fails_at_load_naming_it(
    models: dict[str, tuple[Path, Any]],
) -> None:
    """The GPU count arrives as a server setting (INFERGRAPH_GPUS), not a parameter."""
    directory, _ = models["onnx"]
    assert "CUDAExecutionProvider" not in onnxruntime.get_available_providers()
    with pytest.raises(ModelError, match=re.escape("gpus: the node asks for 1 GPU(s)")):
        plane(name="m", implementation="ONNX_SERVER", model_uri=str(directory), gpus=1)


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_mlflow_answers_as_the_pyfunc_and_its_model(
    models: dict[str, tuple[Path, Any]], method: str
) -> None:
    directory, model = models["mlflow"]
    p = plane(name="m", implementation="MLFLOW_SERVER", model_uri=str(directory),
              parameters={"method": method})  # fmt: skip
    expected = mlflow.pyfunc.load_model(str(directory)).predict(ROWS)
    close(seldon(p), expected if method == "predict" else model.predict_proba(ROWS))
    assert p.metadata["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}]
    assert p.metadata["outputs"][0]["name"] == method


def test_mlflow_column_signature_gets_named_columns(tmp_path: Path) -> None:
    features, target = iris()
    frame = pd.DataFrame(features, columns=["sl", "sw", "pl", "pw"])
    model = LogisticRegression(max_iter=1000).fit(frame, target)
    signature = mlflow.models.infer_signature(frame, model.predict(frame))
    mlflow.sklearn.save_model(model, str(tmp_path / "m"), signature=signature,
                              serialization_format="cloudpickle",
                              pip_requirements=["scikit-learn"])  # fmt: skip
    p = plane(name="m", implementation="MLFLOW_SERVER", model_uri=str(tmp_path / "m"))
    close(seldon(p), model.predict(pd.DataFrame(ROWS, columns=frame.columns)))
    assert [i["name"] for i in p.metadata["inputs"]] == ["sl", "sw", "pl", "pw"]


@pytest.mark.parametrize("runtime", list(TRAINERS))
def test_each_runtime_batches_concurrent_requests(
    models: dict[str, tuple[Path, Any]], runtime: str
) -> None:
    directory, _ = models[runtime]
    node = f"batch-{runtime}"
    alone = plane(name=node + "-alone", implementation=IMPLEMENTATION[runtime],
                  model_uri=str(directory))  # fmt: skip
    expected = seldon(alone)

    async def together() -> list[Any]:
        p = DataPlane(ComponentSettings(name=node, implementation=IMPLEMENTATION[runtime],
                                        model_uri=str(directory), max_batch_size=8))  # fmt: skip
        await p.load()
        p.ready = True
        requests = [{"data": {"ndarray": [row]}} for row in ROWS.tolist()] * 2
        return list(await asyncio.gather(*(p.predict(r) for r in requests)))

    answers = asyncio.run(together())
    for i, answer in enumerate(answers):
        close(answer["data"]["ndarray"], expected[i % 3][None])
    text = render_metrics().decode()
    # an idle node calls the model at once for the first row; the five queued meanwhile share a call
    assert f'infergraph_batch_size_count{{node="{node}"}} 2.0' in text
    assert f'infergraph_batch_size_sum{{node="{node}"}} 6.0' in text


@pytest.mark.parametrize("runtime", list(TRAINERS))
def test_rows_of_the_wrong_width_are_the_clients_fault(
    models: dict[str, tuple[Path, Any]], runtime: str
) -> None:
    directory, _ = models[runtime]
    p = plane(name="m", implementation=IMPLEMENTATION[runtime], model_uri=str(directory))
    with pytest.raises(BadRequest, match="input: "):
        seldon(p, ROWS[:, :2])


@pytest.mark.parametrize("runtime", list(TRAINERS))
def test_a_directory_without_the_model_file_names_the_files(tmp_path: Path, runtime: str) -> None:
    with pytest.raises(ModelError, match=f"model_uri: {tmp_path} holds none of "):
        plane(name="m", implementation=IMPLEMENTATION[runtime], model_uri=str(tmp_path))
