"""What the gradient-boosting servers share: a classifier's probabilities and labels."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["METHODS", "answer", "check_method", "metadata"]

#: The methods a booster server answers with (the declaration's `method` enum).
METHODS = ("predict", "predict_proba")


def check_method(method: str) -> str:
    """`method` when it is one of METHODS, else a ValueError naming it."""
    if method not in METHODS:
        raise ValueError(f'method: "{method}" is not one of {", ".join(METHODS)}')
    return method


def answer(raw: Any, method: str, binary: bool, classifier: bool) -> np.ndarray:
    """The booster's raw output as scikit-learn's classifier API gives it.

    A binary classifier's booster answers P(class 1) per row: predict_proba makes the two
    columns [1 - p, p] and predict the index of the likelier one. A multiclass booster answers
    one column per class. Other objectives (regression, ranking) answer as the booster does.
    """
    out = np.asarray(raw)
    if not classifier:
        return out
    proba = np.column_stack([1.0 - out, out]) if binary else out
    if method == "predict_proba":
        return proba
    labels: np.ndarray = np.argmax(proba, axis=1)
    return labels


def metadata(
    platform: str, n_features: int | None, method: str, classifier: bool, datatype: str
) -> dict[str, Any]:
    """V2 tensor metadata; the output is named after the method (as MLServer does): a
    classifier's probabilities or class indexes (INT64), else the booster's `datatype`."""
    output = {"name": method, "datatype": datatype, "shape": [-1, -1]}
    if not classifier:
        output["shape"] = [-1]
    elif method == "predict":
        output = {"name": method, "datatype": "INT64", "shape": [-1]}
    return {
        "platform": platform,
        "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, n_features or -1]}],
        "outputs": [output],
    }
