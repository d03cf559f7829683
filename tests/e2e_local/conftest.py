"""Fixtures of the local end-to-end tier: a working directory holding the examples' models."""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from train_iris import train
from train_runtimes import train_all

CLAIM = Path("build/volumes/infergraph-models")


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory where `pvc://infergraph-models/<m>` resolves: three different iris models,
    so a combiner's mean differs from each of its children's answers, and one iris model per
    runtime beyond scikit-learn (`iris-xgboost`, ...), trained here with each library."""
    root = tmp_path_factory.mktemp("up")
    train(root / CLAIM / "iris")
    features, target = load_iris(return_X_y=True)
    for name, model in (
        ("iris-v2", DecisionTreeClassifier(max_depth=2, random_state=0)),
        ("iris-v3", GaussianNB()),
    ):
        (root / CLAIM / name).mkdir(parents=True)
        joblib.dump(model.fit(features, target), root / CLAIM / name / "model.joblib")
    train_all(root / CLAIM)
    return root
