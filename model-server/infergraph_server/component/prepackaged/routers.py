"""Routers: an A/B split and two multi-armed bandits that learn from feedback rewards.

Bandit state changes under a lock, so concurrent feedback loses no update whether user code
runs on the event loop or in threads. State is per process: run routers with one worker.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import numpy as np

__all__ = ["EpsilonGreedy", "RandomABTest", "ThompsonSampling"]


def _rows(features: Any) -> int:
    shape = np.shape(features)
    return int(shape[0]) if len(shape) > 1 else 1


class RandomABTest:
    """Sends a fraction `ratioA` of requests to child 0, the rest to child 1."""

    def __init__(self, ratioA: float = 0.5, seed: int | None = None) -> None:
        if not 0.0 <= ratioA <= 1.0:
            raise ValueError(f"ratioA: {ratioA} must be between 0 and 1")
        self.ratio_a = ratioA
        self._rng = random.Random(seed)

    def route(self, features: Any, feature_names: list[str]) -> int:
        """0 with probability ratioA, else 1."""
        return 0 if self._rng.random() < self.ratio_a else 1


class _Bandit:
    """Feedback shared by the bandits: `reward` credited per row to the branch that answered."""

    n_branches: int
    _lock: threading.Lock

    def send_feedback(
        self,
        features: Any,
        feature_names: list[str],
        reward: float,
        truth: Any,
        routing: int | None = None,
    ) -> None:
        """Credit `reward` for every row of `features` to branch `routing` (others: ignored)."""
        if routing is None or not 0 <= routing < self.n_branches:
            return
        n = _rows(features)
        with self._lock:
            self._credit(routing, reward, n)

    def _credit(self, branch: int, reward: float, rows: int) -> None:
        raise NotImplementedError


class EpsilonGreedy(_Bandit):
    """Explores a random branch with probability epsilon, else exploits the best mean reward."""

    def __init__(
        self, n_branches: int, epsilon: float = 0.1, best_branch: int = 0, seed: int | None = None
    ) -> None:
        if n_branches < 1 or not 0 <= best_branch < n_branches:
            raise ValueError(
                f"best_branch: {best_branch} must be in [0, n_branches = {n_branches})"
            )
        self.n_branches = n_branches
        self.epsilon = epsilon
        self.best_branch = best_branch
        self.successes = [0.0] * n_branches
        self.tries = [0] * n_branches
        self._lock = threading.Lock()
        self._rng = random.Random(seed)

    def route(self, features: Any, feature_names: list[str]) -> int:
        """The best branch, or a random one with probability epsilon."""
        if self._rng.random() < self.epsilon:
            return self._rng.randrange(self.n_branches)
        return self.best_branch

    def _credit(self, branch: int, reward: float, rows: int) -> None:
        """Add the reward to the branch's tally and re-pick the best mean (lock held)."""
        self.successes[branch] += reward * rows
        self.tries[branch] += rows
        means = [s / t if t else 0.0 for s, t in zip(self.successes, self.tries, strict=True)]
        self.best_branch = int(np.argmax(means))


class ThompsonSampling(_Bandit):
    """Samples each branch's Beta(successes, failures) posterior and routes to the best draw."""

    def __init__(
        self, n_branches: int, priors: list[list[float]] | None = None, seed: int | None = None
    ) -> None:
        priors = priors or [[1.0, 1.0]] * n_branches
        if n_branches < 1 or len(priors) != n_branches:
            raise ValueError(f"priors: need {n_branches} [alpha, beta] pairs, got {len(priors)}")
        self.n_branches = n_branches
        self.alpha = [float(p[0]) for p in priors]
        self.beta = [float(p[1]) for p in priors]
        self._lock = threading.Lock()
        self._rng = np.random.default_rng(seed)

    def route(self, features: Any, feature_names: list[str]) -> int:
        """argmax of one draw from every branch's posterior."""
        with self._lock:
            draws = self._rng.beta(self.alpha, self.beta)
        return int(np.argmax(draws))

    def _credit(self, branch: int, reward: float, rows: int) -> None:
        """Reward in [0, 1] per row: successes to alpha, the rest to beta (lock held)."""
        self.alpha[branch] += reward * rows
        self.beta[branch] += (1.0 - reward) * rows
