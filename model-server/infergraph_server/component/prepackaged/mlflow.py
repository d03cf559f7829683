"""MLFLOW_SERVER: an MLflow model directory loaded as a pyfunc (mlflow-skinny).

The model's libraries must already be in the image (the `-mlflow` variant has scikit-learn;
build FROM it for others): nothing is installed when the pod starts, unlike Seldon's
conda-at-startup, and MLflow's own warning names any requirement the image does not meet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infergraph_server.codecs.v2 import datatype_of

from .files import check_rows, local_path, model_file, require

__all__ = ["MLflowServer"]

_METHODS = ("predict", "predict_proba")


def _tensor(name: str, dtype: Any, shape: list[int]) -> dict[str, Any]:
    """V2 metadata of one tensor of a numpy `dtype`."""
    return {"name": name, "datatype": datatype_of(np.empty(0, dtype)), "shape": shape}


class MLflowServer:
    """Serves an MLflow model; `method` picks the pyfunc's predict or the model's predict_proba."""

    def __init__(self, model_uri: str = "/mnt/models", method: str = "predict") -> None:
        if method not in _METHODS:
            raise ValueError(f'method: "{method}" is not one of {", ".join(_METHODS)}')
        self.model_uri = model_uri
        self.method = method
        self._call: Any = None
        self._columns: list[str] | None = None  # a column-based signature's input names
        self._dtype: Any = None  # a tensor signature's input dtype
        self._n_features: int | None = None
        self._metadata: dict[str, Any] = {"inputs": [], "outputs": []}

    def load(self) -> None:
        """Load the pyfunc once, before the server turns ready (mlflow imported here)."""
        pyfunc = require("mlflow.pyfunc", "MLFLOW_SERVER")
        model_file(self.model_uri, "MLFLOW_SERVER")  # the directory holds an MLmodel
        model = pyfunc.load_model(str(local_path(self.model_uri)))
        if self.method == "predict":
            self._call = model.predict
        else:
            raw = model.get_raw_model()
            if not hasattr(raw, "predict_proba"):
                raise ValueError(f'method: {type(raw).__name__} has no "predict_proba"')
            self._call = raw.predict_proba
        self._read_signature(model.metadata)

    def _read_signature(self, metadata: Any) -> None:
        """Input names or dtype, feature count and V2 metadata from the model's signature."""
        inputs, outputs = metadata.get_input_schema(), metadata.get_output_schema()
        tensors: list[dict[str, Any]] = []
        if inputs is not None and inputs.is_tensor_spec():
            spec = inputs.inputs[0]
            self._dtype, shape = spec.type, [int(d) for d in spec.shape]
            self._n_features = shape[1] if len(shape) == 2 and shape[1] > 0 else None
            tensors = [_tensor(spec.name or "input-0", spec.type, shape)]
        elif inputs is not None:
            self._columns = list(inputs.input_names())
            self._n_features = len(self._columns)
            tensors = [_tensor(c.name, c.type.to_numpy(), [-1]) for c in inputs.inputs]
        answer = _tensor(self.method, np.float64, [-1, -1])
        if self.method == "predict" and outputs is not None and outputs.is_tensor_spec():
            spec = outputs.inputs[0]
            answer = _tensor(self.method, spec.type, [int(d) for d in spec.shape])
        self._metadata = {"inputs": tensors, "outputs": [answer]}

    def predict(self, X: np.ndarray, features_names: list[str] | None = None) -> np.ndarray:
        """The model's answer for X: rows of numbers, as its signature's columns or dtype."""
        rows: Any = check_rows(X, self._n_features)
        if self._dtype is not None:
            rows = rows.astype(self._dtype, copy=False)
        elif self._columns is not None:
            import pandas as pd  # an mlflow-extra dependency, like the model's own imports

            rows = pd.DataFrame(rows, columns=self._columns)
        return np.asarray(self._call(rows))

    def init_metadata(self) -> dict[str, Any]:
        """V2 tensor metadata from the model's signature, when it has one."""
        return {"platform": "mlflow", **self._metadata}
