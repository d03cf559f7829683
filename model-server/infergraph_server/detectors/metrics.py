"""The detectors' Prometheus families, registered once per process when first used.

prometheus_client is imported inside the functions, as in infergraph_server.metrics.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

__all__ = ["SCORE_BUCKETS", "DriftMetrics", "OutlierMetrics", "drift_metrics", "outlier_metrics"]

#: outlier scores: Mahalanobis distances (about sqrt(features) for inliers) and Isolation
#: Forest scores (0.3 to 0.8)
SCORE_BUCKETS = (0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 20.0)


@dataclass(frozen=True)
class OutlierMetrics:
    score: Any  # Histogram child
    rows: Any  # Counter child
    outliers: Any  # Counter child
    threshold: Any  # Gauge child


@dataclass(frozen=True)
class DriftMetrics:
    drift: Any  # Gauge child: 1 when the last window drifted, else 0
    windows: Any  # Counter family by (detector, drift)
    p_value: Any  # Gauge family by (detector, feature)
    rows: Any  # Counter child
    name: str


@functools.cache
def _rows() -> Any:
    from prometheus_client import Counter

    return Counter("infergraph_detector_rows", "Logged request rows a detector read", ["detector"])


@functools.cache
def _outlier_families() -> tuple[Any, Any, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    return (
        Histogram(
            "infergraph_outlier_score",
            "Outlier score of each logged request row",
            ["detector"],
            buckets=SCORE_BUCKETS,
        ),
        Counter("infergraph_outliers", "Rows scoring above the outlier threshold", ["detector"]),
        Gauge("infergraph_outlier_threshold", "The outlier score threshold", ["detector"]),
    )


@functools.cache
def _drift_families() -> tuple[Any, Any, Any]:
    from prometheus_client import Counter, Gauge

    return (
        Gauge("infergraph_drift", "1 when the last tested window drifted, else 0", ["detector"]),
        Counter("infergraph_drift_windows", "Windows tested, by outcome", ["detector", "drift"]),
        Gauge(
            "infergraph_drift_p_value",
            "Per-feature p-value of the last tested window, before correction",
            ["detector", "feature"],
        ),
    )


def outlier_metrics(name: str) -> OutlierMetrics:
    score, outliers, threshold = _outlier_families()
    return OutlierMetrics(
        score.labels(name), _rows().labels(name), outliers.labels(name), threshold.labels(name)
    )


def drift_metrics(name: str) -> DriftMetrics:
    drift, windows, p_value = _drift_families()
    return DriftMetrics(drift.labels(name), windows, p_value, _rows().labels(name), name)
