"""AVERAGE_COMBINER: the element-wise mean of the children's outputs."""

from __future__ import annotations

import numpy as np

__all__ = ["AverageCombiner"]


class AverageCombiner:
    """Averages same-shaped numeric outputs (an ensemble of models)."""

    def aggregate(self, Xs: list[np.ndarray], features_names: list[list[str]]) -> np.ndarray:
        """Mean over the children; every output must have the same shape."""
        shapes = {np.shape(x) for x in Xs}
        if len(shapes) != 1:
            raise ValueError(f"children outputs differ in shape: {sorted(shapes)}")
        mean: np.ndarray = np.mean(np.stack([np.asarray(x, dtype=np.float64) for x in Xs]), axis=0)
        return mean
