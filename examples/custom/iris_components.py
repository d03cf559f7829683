"""User classes for the custom-image examples, written as for Seldon Core's Python wrapper.

They run unchanged under `infergraph-server component --class iris_components:IrisClassifier`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import joblib
import numpy as np

__all__ = ["IrisClassifier", "Scaler"]


class IrisClassifier:
    """Loads the model the storage initializer (or `infergraph up`) put in INFERGRAPH_MODEL_URI."""

    def __init__(self) -> None:
        self.model_dir = Path(os.environ.get("INFERGRAPH_MODEL_URI", "/mnt/models"))
        self.model: Any = None

    def load(self) -> None:
        self.model = joblib.load(self.model_dir / "model.joblib")

    def predict(self, X: np.ndarray, features_names: list[str] | None = None) -> np.ndarray:
        return self.model.predict_proba(X)

    def tags(self) -> dict[str, str]:
        return {"model": "iris-custom"}


class Scaler:
    """Standardises the four iris measurements with the data set's means and deviations."""

    MEANS = np.array([5.843, 3.057, 3.758, 1.199])
    STDS = np.array([0.825, 0.434, 1.759, 0.760])

    def transform_input(self, X: np.ndarray, features_names: list[str] | None = None) -> np.ndarray:
        return (np.asarray(X, dtype=float) - self.MEANS) / self.STDS
