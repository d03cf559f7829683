"""XGBOOST_SERVER: a booster saved by XGBoost (`model.bst`, `model.json` or `model.ubj`)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .boosters import answer, check_method, metadata
from .files import check_rows, model_file, require

__all__ = ["XGBoostServer"]

_BINARY = ("binary:logistic",)
_MULTICLASS = ("multi:softprob",)


class XGBoostServer:
    """Serves an XGBoost booster; `method` picks class probabilities or class indexes."""

    def __init__(self, model_uri: str = "/mnt/models", method: str = "predict_proba") -> None:
        self.model_uri = model_uri
        self.method = check_method(method)
        self._xgb: Any = None
        self._booster: Any = None
        self._objective = ""
        self._classifier = False
        self._n_features: int | None = None

    def load(self) -> None:
        """Load the booster once, before the server turns ready (xgboost imported here)."""
        self._xgb = require("xgboost", "XGBOOST_SERVER")
        self._booster = self._xgb.Booster(
            model_file=str(model_file(self.model_uri, "XGBOOST_SERVER"))
        )
        config = json.loads(self._booster.save_config())
        self._objective = str(config["learner"]["objective"]["name"])
        self._classifier = self._objective in _BINARY + _MULTICLASS
        self._n_features = int(self._booster.num_features()) or None

    def predict(self, X: np.ndarray, features_names: list[str] | None = None) -> np.ndarray:
        """The chosen method's answer for X (one or more rows of n_features numbers)."""
        raw = self._booster.inplace_predict(check_rows(X, self._n_features))
        return answer(raw, self.method, self._objective in _BINARY, self._classifier)

    def init_metadata(self) -> dict[str, Any]:
        """V2 tensor metadata of the booster's input and the method's output."""
        return metadata("xgboost", self._n_features, self.method, self._classifier, "FP32")
