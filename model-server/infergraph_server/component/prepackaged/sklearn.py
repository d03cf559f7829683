"""SKLEARN_SERVER: a joblib or pickle file, or a directory holding one of its declared files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np

from infergraph_server.errors import BadRequest
from infergraph_server.vocabulary import IMPLEMENTATIONS

__all__ = ["SklearnServer"]

_METHODS = ("predict", "predict_proba", "decision_function")
_FILES = IMPLEMENTATIONS["SKLEARN_SERVER"].model_files  # declared with the implementation
_KINDS = {"U": "strings", "S": "bytes", "O": "objects", "M": "datetimes", "m": "timedeltas"}


def local_path(model_uri: str) -> Path:
    """A local path from `file://...` or a plain path; remote URIs are fetched before start."""
    if "://" in model_uri and not model_uri.startswith("file://"):
        raise ValueError(
            f'model_uri: "{model_uri}" is remote; the storage initializer fetches it first'
        )
    return Path(model_uri.removeprefix("file://"))


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
        path = local_path(self.model_uri)
        if path.is_dir():
            found = [path / f for f in _FILES if (path / f).is_file()]
            if not found:
                raise FileNotFoundError(f"model_uri: {path} holds none of {', '.join(_FILES)}")
            path = found[0]
        if not path.is_file():
            raise FileNotFoundError(f"model_uri: {path} does not exist")
        model = joblib.load(path)
        if not hasattr(model, self.method):
            raise ValueError(f'method: {type(model).__name__} has no "{self.method}"')
        self._call = getattr(model, self.method)
        self._n_features = getattr(model, "n_features_in_", None)

    def predict(self, X: np.ndarray, features_names: list[str] | None = None) -> Any:
        """Call the estimator's chosen method on X (one or more rows of n_features numbers).

        Anything else is the client's fault (400), not the estimator's: the codecs pass
        strings, objects and empty batches on because other models take them.
        """
        if (
            not isinstance(X, np.ndarray)
            or X.ndim != 2
            or X.shape[0] == 0
            or X.dtype.kind not in "biuf"
            or (self._n_features is not None and X.shape[1] != self._n_features)
        ):
            got = (
                f"{list(X.shape)} {_KINDS.get(X.dtype.kind, 'numbers')}"
                if isinstance(X, np.ndarray)
                else type(X).__name__
            )
            raise BadRequest(
                f"input: {got}; expected [rows, {self._n_features}] numbers, one row or more"
            )
        return self._call(X)

    def init_metadata(self) -> dict[str, Any]:
        """V2 tensor metadata; the output is named after the method (as MLServer does)."""
        return {
            "platform": "sklearn",
            "inputs": [
                {"name": "input-0", "datatype": "FP64", "shape": [-1, self._n_features or -1]}
            ],
            "outputs": [{"name": self.method, "datatype": "FP64", "shape": [-1, -1]}],
        }
