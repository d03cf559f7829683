"""The runtimes beyond scikit-learn under `infergraph up`: each answers as its own library does.

Each test trains a tiny iris model with the library (bench/train_runtimes.py), serves its
example with `infergraph up`, and compares, to 1e-6, the library's own predictions with the
graph's answers: Seldon and V2 over REST through the gateway, Seldon and V2 over gRPC straight
to the node, concurrent requests (batched where the example batches), and V2 metadata.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from train_runtimes import TRAINERS

from .up import EXAMPLES, Up, post

pytestmark = pytest.mark.e2e_local

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]])
NODE = "node main/classifier"
#: runtime -> the V2 metadata its node reports: (platform, input names, output name)
EXPECTED_METADATA = {
    "xgboost": ("xgboost", ["input-0"], "predict_proba"),
    "lightgbm": ("lightgbm", ["input-0"], "predict_proba"),
    "onnx": ("onnx", ["X"], "probabilities"),
    "mlflow": ("mlflow", ["input-0"], "predict"),
}


def _library_answer(runtime: str, model: Any, directory: Path, rows: np.ndarray) -> np.ndarray:
    """What the library itself answers for `rows`, the way the example asks for it."""
    if runtime in ("xgboost", "lightgbm"):
        return np.asarray(model.predict_proba(rows))
    if runtime == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(directory / "model.onnx"))
        name = session.get_inputs()[0].name
        return np.asarray(session.run(["probabilities"], {name: rows.astype(np.float32)})[0])
    import mlflow.pyfunc

    return np.asarray(mlflow.pyfunc.load_model(str(directory)).predict(rows))


def _close(got: Any, expected: np.ndarray) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("runtime", list(TRAINERS))
def test_runtime_answers_as_its_library_does(tmp_path: Path, runtime: str) -> None:
    volumes = tmp_path / "volumes"
    directory = volumes / "infergraph-models" / f"iris-{runtime}"
    directory.mkdir(parents=True)
    model = TRAINERS[runtime](directory)
    expected = _library_answer(runtime, model, directory, ROWS)
    example = yaml.safe_load((EXAMPLES / f"{runtime}.yaml").read_text())
    graph = example["metadata"]["name"]
    with Up(f"{runtime}.yaml", tmp_path, volumes=str(volumes)) as up:
        status, _, seldon = post(up.connection(), "/api/v1.0/predictions", {
            "data": {"ndarray": ROWS.tolist()}
        })  # fmt: skip
        assert status == 200, seldon
        _close(seldon["data"]["ndarray"], expected)
        v2_request = {
            "inputs": [{"name": "input-0", "shape": list(ROWS.shape), "datatype": "FP64",
                        "data": ROWS.ravel().tolist()}]
        }  # fmt: skip
        status, _, v2 = post(up.connection(), f"/v2/models/{graph}/infer", v2_request)
        assert status == 200, v2
        (output,) = v2["outputs"]
        _close(np.reshape(output["data"], output["shape"]), expected)

        def one(i: int) -> Any:
            body = {"data": {"ndarray": ROWS[i % len(ROWS)][None].tolist()}}
            return post(up.connection(), "/api/v1.0/predictions", body)[2]["data"]["ndarray"]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(24)))
        for i, answer in enumerate(answers):
            _close(answer, expected[i % len(ROWS)][None])

        script = Path(__file__).with_name("grpc_both.py")
        target = f"127.0.0.1:{up.grpc_ports[NODE]}"
        done = subprocess.run(
            [sys.executable, str(script), target, "classifier", json.dumps(ROWS.tolist())],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    over_grpc = json.loads(done.stdout)
    _close(np.reshape(over_grpc["seldon"]["values"], over_grpc["seldon"]["shape"]), expected)
    platform, inputs, name = EXPECTED_METADATA[runtime]
    assert list(over_grpc["v2"]) == [name] and output["name"] == name
    _close(over_grpc["v2"][name], expected)
    assert over_grpc["metadata"] == {"platform": platform, "inputs": inputs, "outputs": [name]}
