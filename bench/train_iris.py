"""Train the tiny iris classifier that the benchmarks, peer tests and demo serve.

Run it with the Python of the venv that will load the model (``python bench/train_iris.py
OUT_DIR``): a joblib pickle is tied to the numpy/scikit-learn it was made with, and the peer
venvs pin an older numpy than ours. It writes ``OUT_DIR/model.joblib`` and the training
features as ``OUT_DIR/reference.npy`` (the reference data of the examples' detectors), and
needs only scikit-learn, joblib and numpy, so every venv can run it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

__all__ = ["MODEL_FILE", "REFERENCE_FILE", "main", "train"]

MODEL_FILE = "model.joblib"
REFERENCE_FILE = "reference.npy"


def train(out_dir: Path) -> Path:
    """Fit a 4-feature, 3-class LogisticRegression on iris and save it; return the file."""
    features, target = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000, random_state=0).fit(features, target)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MODEL_FILE
    joblib.dump(model, path)
    np.save(out_dir / REFERENCE_FILE, features)
    return path


def main(argv: list[str]) -> int:
    """CLI: ``train_iris.py OUT_DIR``; prints the written path."""
    if len(argv) != 1:
        print("usage: python bench/train_iris.py OUT_DIR", file=sys.stderr)
        return 2
    print(train(Path(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
