"""The runtimes beyond scikit-learn as their own libraries answer, and the gateway's check
against them: shared by `infergraph up` under processes (test_runtimes.py) and under
containers (tests/containers/test_up_containers.py), which serve the same model files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .up import EXAMPLES, Up, post

__all__ = ["ROWS", "assert_close", "assert_gateway_answers", "library_answer"]

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]])


def library_answer(runtime: str, directory: Path, rows: np.ndarray) -> np.ndarray:
    """What the library itself answers for `rows` from the model file its server loads, the
    way the example asks for it (class probabilities; MLflow's pyfunc `predict`)."""
    if runtime == "xgboost":
        import xgboost

        model = xgboost.XGBClassifier()
        model.load_model(directory / "model.json")
        return np.asarray(model.predict_proba(rows))
    if runtime == "lightgbm":
        import lightgbm

        return np.asarray(lightgbm.Booster(model_file=str(directory / "model.txt")).predict(rows))
    if runtime == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(directory / "model.onnx"))
        name = session.get_inputs()[0].name
        return np.asarray(session.run(["probabilities"], {name: rows.astype(np.float32)})[0])
    import mlflow.pyfunc

    return np.asarray(mlflow.pyfunc.load_model(str(directory)).predict(rows))


def assert_close(got: Any, expected: np.ndarray) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), expected, rtol=0, atol=1e-6)


def assert_gateway_answers(up: Up, runtime: str, expected: np.ndarray) -> str:
    """`ROWS` over Seldon and V2 REST through the gateway of `examples/<runtime>.yaml` answer
    `expected` to 1e-6; returns the name of the V2 output."""
    graph = yaml.safe_load((EXAMPLES / f"{runtime}.yaml").read_text())["metadata"]["name"]
    status, _, seldon = post(up.connection(), "/api/v1.0/predictions", {
        "data": {"ndarray": ROWS.tolist()}
    })  # fmt: skip
    assert status == 200, seldon
    assert_close(seldon["data"]["ndarray"], expected)
    v2_request = {
        "inputs": [{"name": "input-0", "shape": list(ROWS.shape), "datatype": "FP64",
                    "data": ROWS.ravel().tolist()}]
    }  # fmt: skip
    status, _, v2 = post(up.connection(), f"/v2/models/{graph}/infer", v2_request)
    assert status == 200, v2
    (output,) = v2["outputs"]
    assert_close(np.reshape(output["data"], output["shape"]), expected)
    return str(output["name"])
