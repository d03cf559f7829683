"""Train tiny iris classifiers for the runtimes beyond scikit-learn, one per library.

``python bench/train_runtimes.py OUT_DIR`` writes one directory per prepackaged runtime, each
holding the file its server looks for: ``iris-xgboost/model.json``,
``iris-lightgbm/model.txt``, ``iris-onnx/model.onnx`` (a LogisticRegression converted by
skl2onnx, probabilities as a tensor) and ``iris-mlflow/`` (an MLflow scikit-learn model
directory). The examples, tests and benchmarks serve them; the libraries are the extras of
infergraph-server (`make setup` installs them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_iris

__all__ = ["TRAINERS", "iris", "main", "train_all"]


def iris() -> tuple[np.ndarray, np.ndarray]:
    """The iris features (150 x 4, float64) and classes (0, 1, 2)."""
    features, target = load_iris(return_X_y=True)
    return np.asarray(features, dtype=np.float64), np.asarray(target)


def _xgboost(out: Path) -> Any:
    import xgboost

    model = xgboost.XGBClassifier(n_estimators=10, max_depth=3, random_state=0)
    model.fit(*iris())
    model.save_model(out / "model.json")
    return model


def _lightgbm(out: Path) -> Any:
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=10, num_leaves=7, random_state=0, verbose=-1)
    model.fit(*iris())
    model.booster_.save_model(out / "model.txt")
    return model


def _onnx(out: Path) -> Any:
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    features, target = iris()
    model = LogisticRegression(max_iter=1000, random_state=0).fit(features, target)
    onnx = to_onnx(model, features[:1].astype(np.float32), options={"zipmap": False})
    (out / "model.onnx").write_bytes(onnx.SerializeToString())
    return model


def _mlflow(out: Path) -> Any:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    features, target = iris()
    model = LogisticRegression(max_iter=1000, random_state=0).fit(features, target)
    signature = infer_signature(features, model.predict(features))
    out.rmdir()  # MLflow writes the directory itself and refuses an existing one
    mlflow.sklearn.save_model(
        model,
        str(out),
        signature=signature,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,  # no skops needed
        pip_requirements=["scikit-learn"],  # given: MLflow's inference of them takes ~30 s
    )
    return model


#: runtime directory name -> its trainer (writes into the directory, returns the fitted model)
TRAINERS: dict[str, Callable[[Path], Any]] = {
    "xgboost": _xgboost,
    "lightgbm": _lightgbm,
    "onnx": _onnx,
    "mlflow": _mlflow,
}


def train_all(out_dir: Path) -> dict[str, Path]:
    """Every runtime's model under `out_dir/iris-<runtime>`; returns runtime -> directory."""
    made = {}
    for name, trainer in TRAINERS.items():
        target = out_dir / f"iris-{name}"
        target.mkdir(parents=True, exist_ok=False)
        trainer(target)
        made[name] = target
    return made


def main(argv: list[str]) -> int:
    """CLI: ``train_runtimes.py OUT_DIR``; prints each written directory."""
    if len(argv) != 1:
        print("usage: python bench/train_runtimes.py OUT_DIR", file=sys.stderr)
        return 2
    for path in train_all(Path(argv[0])).values():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
