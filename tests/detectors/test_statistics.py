"""The detectors' statistics on synthetic data with fixed seeds.

Drift: on data drawn from the reference distribution the share of windows that fire stays at
the configured level (a binomial bound over many windows); on data with a known shift the
detector fires within a bounded number of windows. Outliers: precision and recall on injected
outliers stay above floors (the figures are printed: `pytest -s`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from infergraph_server.detectors.drift import DriftDetector, correct
from infergraph_server.detectors.outlier import OutlierDetector

SEED = 20261201
FEATURES = 4
WINDOWS = 400
WINDOW = 100
P_VALUE = 0.05
CATEGORIES = np.array([0.0, 1.0, 2.0])
CATEGORY_P = np.array([0.5, 0.3, 0.2])


def _sample(
    rng: np.random.Generator, rows: int, shift: float = 0.0, skew: bool = False
) -> np.ndarray:
    """Three continuous features (N(0, 1); feature 1 moved by `shift`) and a categorical one
    (column 3; `skew` moves probability from category 0 to category 2)."""
    data = rng.normal(size=(rows, FEATURES))
    data[:, 1] += shift
    p = np.array([0.35, 0.3, 0.35]) if skew else CATEGORY_P
    data[:, 3] = rng.choice(CATEGORIES, size=rows, p=p)
    return data


def _detector(rng: np.random.Generator, correction: str) -> DriftDetector:
    detector = DriftDetector(
        windowSize=WINDOW, pValue=P_VALUE, correction=correction, categoricalFeatures=[3]
    )
    detector.fit(_sample(rng, 2000))
    return detector


@pytest.mark.parametrize("correction", ["bonferroni", "fdr"])
def test_false_positive_rate_stays_at_the_configured_level(correction: str) -> None:
    rng = np.random.default_rng(SEED)
    detector = _detector(rng, correction)
    fired = sum(detector.test(_sample(rng, WINDOW))[0] for _ in range(WINDOWS))
    rate = fired / WINDOWS
    bound = P_VALUE + 3 * math.sqrt(P_VALUE * (1 - P_VALUE) / WINDOWS)
    print(f"{correction}: {fired} of {WINDOWS} unshifted windows fired ({rate:.3f})")
    assert rate <= bound, f"{rate:.3f} above {bound:.3f}"
    assert fired > 0, "a test that never fires proves nothing about its level"


@pytest.mark.parametrize("correction", ["bonferroni", "fdr"])
@pytest.mark.parametrize(
    ("shift", "skew", "within"),
    [(0.5, False, 3), (0.0, True, 5)],
    ids=["continuous-mean-shift", "categorical-skew"],
)
def test_a_known_shift_fires_within_a_bounded_number_of_windows(
    correction: str, shift: float, skew: bool, within: int
) -> None:
    rng = np.random.default_rng(SEED)
    detector = _detector(rng, correction)
    for trial in range(20):  # each trial: a fresh stream, fired within `within` windows
        windows = [_sample(rng, WINDOW, shift, skew) for _ in range(within)]
        assert any(detector.test(w)[0] for w in windows), f"trial {trial} never fired"


def test_the_stream_is_cut_into_windows_and_each_full_one_is_tested() -> None:
    rng = np.random.default_rng(SEED)
    detector = _detector(rng, "bonferroni")
    first = detector.process(_sample(rng, 60))
    assert first.answer["data"] == {"windows": [], "buffered": 60, "windowSize": WINDOW}
    second = detector.process(_sample(rng, 250, shift=2.0))
    # 60 + 250 rows: three windows of 100 (the first mixes both), 10 rows wait for the next
    assert [w["is_drift"] for w in second.answer["data"]["windows"]] == [1, 1, 1]
    assert second.answer["data"]["buffered"] == 10
    assert [kind for kind, _ in second.findings] == ["io.seldon.serving.inference.drift"] * 3
    p_values = second.answer["data"]["windows"][2]["p_val"]
    assert p_values[1] < 1e-6 and len(p_values) == FEATURES


def test_corrections_match_their_definitions() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.5])
    assert correct(p, "bonferroni").tolist() == pytest.approx([0.04, 0.16, 0.12, 1.0])
    # Benjamini-Hochberg: p_(i) * m / i, made monotone from the largest down
    assert correct(p, "fdr").tolist() == pytest.approx([0.04, 0.0533333, 0.0533333, 0.5])


@pytest.mark.parametrize(
    ("method", "precision_floor", "recall_floor"),
    # measured with this seed: mahalanobis 0.846 / 0.990, isolationforest 0.839 / 0.730 (the
    # forest cuts along axes, so outliers along the correlated direction escape it more often)
    [("mahalanobis", 0.8, 0.95), ("isolationforest", 0.75, 0.65)],
)
def test_outlier_precision_and_recall_on_injected_outliers(
    method: str, precision_floor: float, recall_floor: float
) -> None:
    rng = np.random.default_rng(SEED)
    covariance = np.array([[1, 0.8, 0, 0], [0.8, 1, 0, 0], [0, 0, 1, 0.3], [0, 0, 0.3, 1]])
    reference = rng.multivariate_normal(np.zeros(FEATURES), covariance, size=2000)
    detector = OutlierDetector(method=method, quantile=0.99, seed=0)
    detector.fit(reference)
    rows = rng.multivariate_normal(np.zeros(FEATURES), covariance, size=2000)
    injected = rng.choice(len(rows), size=100, replace=False)
    # outliers: 5 standard deviations away in a random direction
    directions = rng.normal(size=(100, FEATURES))
    rows[injected] += 5 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    truth = np.zeros(len(rows), dtype=bool)
    truth[injected] = True
    flagged = detector.scores(rows) > detector.threshold
    true_positives = int((flagged & truth).sum())
    precision = true_positives / max(int(flagged.sum()), 1)
    recall = true_positives / int(truth.sum())
    print(f"{method}: precision {precision:.3f}, recall {recall:.3f} (100 outliers in 2000)")
    assert precision >= precision_floor
    assert recall >= recall_floor


def test_the_threshold_is_the_reference_quantile_unless_fixed() -> None:
    rng = np.random.default_rng(SEED)
    reference = rng.normal(size=(1000, 3))
    quantiled = OutlierDetector(quantile=0.95)
    quantiled.fit(reference)
    share = float((quantiled.scores(reference) > quantiled.threshold).mean())
    assert share == pytest.approx(0.05, abs=0.002)
    fixed = OutlierDetector(threshold=7.5)
    fixed.fit(reference)
    assert fixed.threshold == 7.5
