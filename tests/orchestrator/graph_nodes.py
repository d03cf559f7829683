"""User classes (Seldon Python-wrapper style) for the real-process graphs of the gRPC tests."""

from __future__ import annotations

import numpy as np

__all__ = ["AddOne", "ByTotal", "Negate", "Scale"]


class Scale:
    """MODEL: every value times `factor`."""

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = float(factor)

    def predict(self, X: np.ndarray, features_names: list[str]) -> np.ndarray:
        return np.asarray(X, dtype=float) * self.factor

    def tags(self) -> dict[str, float]:
        return {f"scale-{self.factor:g}": self.factor}


class AddOne:
    """TRANSFORMER: every value plus one."""

    def transform_input(self, X: np.ndarray, features_names: list[str]) -> np.ndarray:
        return np.asarray(X, dtype=float) + 1


class Negate:
    """OUTPUT_TRANSFORMER: every value negated."""

    def transform_output(self, X: np.ndarray, features_names: list[str]) -> np.ndarray:
        return -np.asarray(X, dtype=float)


class ByTotal:
    """ROUTER: child 1 when the values add up to more than 10, else child 0; counts rewards."""

    def __init__(self) -> None:
        self.rewards = 0.0

    def route(self, X: np.ndarray, features_names: list[str]) -> int:
        return int(np.asarray(X, dtype=float).sum() > 10)

    def send_feedback(
        self, X: np.ndarray, names: list[str], reward: float, truth: object, routing: int
    ) -> None:
        self.rewards += reward
