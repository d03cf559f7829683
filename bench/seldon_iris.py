"""The iris model as a seldon-core user class, for ``seldon-core-microservice`` in the bench.

Written as Seldon's Python-wrapper docs show; the path arrives as the ``model_uri``
parameter, the way Seldon's own SKLearnServer gets it. Runs in ``.venv-peers``.
"""

from __future__ import annotations

from typing import Any

import joblib

__all__ = ["SeldonIris"]


class SeldonIris:
    """predict_proba of the joblib model at ``model_uri``."""

    def __init__(self, model_uri: str) -> None:
        self.model = joblib.load(model_uri)

    def predict(self, X: Any, features_names: Any) -> Any:
        return self.model.predict_proba(X)
