"""Peer-client fixtures: seldon-core's SeldonClient run from `.venv-peers`, an iris model.

The tests need `.venv-peers` (made by `make peers` / `make test`); without it their module
skips with one reason line.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest

from .clients import IRIS_ROWS, train


@pytest.fixture(scope="session")
def iris_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.joblib of the bench's iris classifier (loads in every venv here)."""
    path: Path = train(tmp_path_factory.mktemp("iris"))
    return path


@pytest.fixture(scope="session")
def iris_expected(iris_model: Path) -> list[list[float]]:
    """predict_proba of IRIS_ROWS, computed here without any server."""
    return [[float(p) for p in row] for row in joblib.load(iris_model).predict_proba(IRIS_ROWS)]
