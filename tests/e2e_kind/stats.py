"""Is an observed traffic split the configured one? A binomial check with a stated tolerance.

With n requests each routed to a predictor with probability p, the observed share has standard
deviation sqrt(p(1-p)/n). The suite accepts a share within `points` percentage points of p; at
n = 1,000, p = 0.75 and 5 points that band is 3.65 standard deviations wide, so a correct split
fails about 2.6 times in 10,000 runs. `false_alarm_rate` states that figure, and a unit test keeps
it small, so the tolerance is a decision with a number on it, not a guess.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["false_alarm_rate", "share", "split_problems"]


def share(counts: Mapping[str, int], name: str) -> float:
    """The fraction of all counted requests that went to `name`."""
    total = sum(counts.values())
    if total <= 0:
        raise ValueError(f"no requests counted: {dict(counts)}")
    return counts.get(name, 0) / total


def false_alarm_rate(total: int, p: float, points: float) -> float:
    """Chance that a correct split of `total` requests lands outside ±`points` (normal approx)."""
    sigma = math.sqrt(p * (1 - p) / total)
    z = (points / 100) / sigma
    return math.erfc(z / math.sqrt(2))


def split_problems(
    counts: Mapping[str, int], weights: Mapping[str, int], points: float
) -> list[str]:
    """Predictors whose observed share is more than `points` off its weight's share; empty: ok.

    `weights` are the VirtualService weights (any positive scale); `counts` the requests each
    predictor answered. A predictor that answered but has no weight is a problem too.
    """
    total_weight = sum(weights.values())
    if total_weight <= 0:
        raise ValueError(f"weights must sum to more than 0: {dict(weights)}")
    problems = []
    for name in sorted(set(weights) | set(counts)):
        expected = weights.get(name, 0) / total_weight
        observed = share(counts, name)
        if abs(observed - expected) * 100 > points:
            problems.append(
                f"{name}: {observed:.1%} of {sum(counts.values())} requests, "
                f"expected {expected:.1%} ± {points:g} points"
            )
    return problems
