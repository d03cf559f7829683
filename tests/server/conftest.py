"""Fixtures for the component server tests: a tiny iris model and running servers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).parent))

from servers import Launch, start_component

IRIS_ROW = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture(scope="session")
def iris_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding model.joblib: logistic regression on iris (4 features, 3 classes)."""
    x, y = load_iris(return_X_y=True)
    path = tmp_path_factory.mktemp("iris")
    joblib.dump(LogisticRegression(max_iter=500).fit(x, y), path / "model.joblib")
    return path


@pytest.fixture(scope="session")
def sklearn_server(iris_dir: Path) -> Iterator[Launch]:
    """SKLEARN_SERVER (predict_proba) named "iris" on loopback."""
    with start_component(
        [
            "--name",
            "iris",
            "--implementation",
            "SKLEARN_SERVER",
            "--model-uri",
            f"file://{iris_dir}",
        ]
    ) as server:
        yield server
