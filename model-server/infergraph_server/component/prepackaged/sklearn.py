"""SKLEARN_SERVER: a joblib or pickle file, or a directory holding one of its declared files."""

from __future__ import annotations

from typing import Any

import joblib
import numpy as np

from .files import check_rows, model_file

__all__ = ["SklearnServer"]

_METHODS = ("predict", "predict_proba", "decision_function")


class SklearnServer:
    """Serves a saved scikit-learn estimator; `method` picks which of its methods answers."""

    def __init__(self, model_uri: str = "/mnt/models", method: str = "predict_proba") -> None:
        if method not in _METHODS:
            raise ValueError(f'method: "{method}" is not one of {", ".join(_METHODS)}')
        self.model_uri = model_uri
        self.method = method
        self._call: Any = None
        self._n_features: int | None = None

    def load(self) -> None:
        """Load the estimator once, before the server turns ready."""
        model = joblib.load(model_file(self.model_uri, "SKLEARN_SERVER"))
        if not hasattr(model, self.method):
            raise ValueError(f'method: {type(model).__name__} has no "{self.method}"')
        self._call = getattr(model, self.method)
        self._n_features = getattr(model, "n_features_in_", None)

    def predict(self, X: np.ndarray, features_names: list[str] | None = None) -> Any:
        """Call the estimator's chosen method on X (one or more rows of n_features numbers)."""
        return self._call(check_rows(X, self._n_features))

    def init_metadata(self) -> dict[str, Any]:
        """V2 tensor metadata; the output is named after the method (as MLServer does)."""
        return {
            "platform": "sklearn",
            "inputs": [
                {"name": "input-0", "datatype": "FP64", "shape": [-1, self._n_features or -1]}
            ],
            "outputs": [{"name": self.method, "datatype": "FP64", "shape": [-1, -1]}],
        }
