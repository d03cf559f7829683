"""OUTLIER_DETECTOR: each logged row scored against reference rows, flagged above a threshold.

`mahalanobis`: the distance of a row from the reference mean in the reference covariance
(scikit-learn's EmpiricalCovariance; its pseudo-inverse copes with collinear features).
`isolationforest`: the negated `score_samples` of an Isolation Forest fitted on the
reference rows (higher: more isolated). The threshold is the `quantile` of the reference rows'
own scores, so about 1 - quantile of inliers are flagged, unless `threshold` fixes it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from infergraph_server.detectors.base import Outcome, check_width
from infergraph_server.detectors.events import OUTLIER
from infergraph_server.detectors.metrics import OutlierMetrics, outlier_metrics
from infergraph_server.detectors.reference import load_reference
from infergraph_server.vocabulary import DETECTORS

__all__ = ["METHODS", "OutlierDetector"]

METHODS = ("mahalanobis", "isolationforest")
_FILES = DETECTORS["OUTLIER_DETECTOR"].reference_files  # declared with the detector


class OutlierDetector:
    """Scores rows; `threshold` None: the reference rows' `quantile`."""

    def __init__(
        self,
        model_uri: str = "/mnt/models",
        method: str = "mahalanobis",
        quantile: float = 0.99,
        threshold: float | None = None,
        seed: int = 0,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f'method: "{method}" is not one of {", ".join(METHODS)}')
        if not 0.5 <= quantile <= 1:
            raise ValueError(f"quantile: {quantile} is not between 0.5 and 1")
        self.model_uri = model_uri
        self.method = method
        self.quantile = quantile
        self.threshold = threshold
        self.seed = seed
        self.features = 0
        self._score: Callable[[np.ndarray], np.ndarray] | None = None
        self._metrics: OutlierMetrics | None = None

    def fit(self, reference: np.ndarray) -> None:
        """Fit the scorer on `reference` rows and set the threshold."""
        self.features = reference.shape[1]
        if self.method == "mahalanobis":
            from sklearn.covariance import EmpiricalCovariance

            covariance = EmpiricalCovariance().fit(reference)
            self._score = lambda rows: np.sqrt(np.maximum(covariance.mahalanobis(rows), 0))
        else:
            from sklearn.ensemble import IsolationForest

            forest = IsolationForest(random_state=self.seed).fit(reference)
            self._score = lambda rows: -forest.score_samples(rows)
        if self.threshold is None:
            self.threshold = float(np.quantile(self._score(reference), self.quantile))

    def load(self, name: str, metrics: bool) -> None:
        self.fit(load_reference(self.model_uri, _FILES))
        if metrics:
            self._metrics = outlier_metrics(name)
            self._metrics.threshold.set(self.threshold)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Each row's outlier score."""
        assert self._score is not None, "fit or load first"
        check_width(rows, self.features)
        return self._score(rows)

    def process(self, rows: np.ndarray) -> Outcome:
        scores = self.scores(rows)
        threshold = float(self.threshold or 0.0)
        flagged = scores > threshold
        if self._metrics is not None:
            for score in scores:
                self._metrics.score.observe(float(score))
            self._metrics.rows.inc(len(scores))
            self._metrics.outliers.inc(int(flagged.sum()))
        findings = [
            (
                OUTLIER,
                {
                    "data": {
                        "is_outlier": 1,
                        "instance_score": float(scores[i]),
                        "threshold": threshold,
                        "row": int(i),
                    }
                },
            )
            for i in np.flatnonzero(flagged)
        ]
        answer = {
            "data": {
                "is_outlier": flagged.astype(int).tolist(),
                "instance_score": scores.tolist(),
                "threshold": threshold,
            },
            "meta": {"detector": "outlier", "method": self.method},
        }
        return Outcome(answer, findings)
