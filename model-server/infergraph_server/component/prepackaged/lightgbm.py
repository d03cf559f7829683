"""LIGHTGBM_SERVER: a booster saved by LightGBM as text (`model.txt`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .boosters import answer, check_method, metadata
from .files import check_rows, model_file, require

__all__ = ["LightGBMServer"]

_BINARY = ("binary",)
_MULTICLASS = ("multiclass", "multiclassova")


class LightGBMServer:
    """Serves a LightGBM booster; `method` picks class probabilities or class indexes."""

    def __init__(self, model_uri: str = "/mnt/models", method: str = "predict_proba") -> None:
        self.model_uri = model_uri
        self.method = check_method(method)
        self._booster: Any = None
        self._objective = ""
        self._classifier = False
        self._n_features: int | None = None

    def load(self) -> None:
        """Load the booster once, before the server turns ready (lightgbm imported here)."""
        lgb = require("lightgbm", "LIGHTGBM_SERVER")
        path = model_file(self.model_uri, "LIGHTGBM_SERVER")
        self._booster = lgb.Booster(model_file=str(path))
        # "multiclass num_class:3": the objective's name, then its settings
        self._objective = str(self._booster.params.get("objective", "")).split(" ")[0]
        self._classifier = self._objective in _BINARY + _MULTICLASS
        self._n_features = int(self._booster.num_feature())

    def predict(self, X: np.ndarray, features_names: list[str] | None = None) -> np.ndarray:
        """The chosen method's answer for X (one or more rows of n_features numbers)."""
        raw = self._booster.predict(check_rows(X, self._n_features))
        return answer(raw, self.method, self._objective in _BINARY, self._classifier)

    def init_metadata(self) -> dict[str, Any]:
        """V2 tensor metadata of the booster's input and the method's output."""
        return metadata("lightgbm", self._n_features, self.method, self._classifier, "FP64")
