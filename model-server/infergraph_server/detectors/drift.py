"""DRIFT_DETECTOR: windows of logged rows tested against reference rows, feature by feature.

Each time `windowSize` rows have arrived, the window is tested and a new one starts (windows
do not overlap, so their tests are independent). Continuous features: the two-sample
Kolmogorov-Smirnov test; categorical ones (`categoricalFeatures`, column indices): the
chi-squared test of the window's category counts against the reference's. The per-feature
p-values are corrected for their number (Bonferroni, or Benjamini-Hochberg's false discovery
rate) and the window has drifted when a corrected p-value is below `pValue`, so on data from
the reference distribution at most a `pValue` share of windows fire.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from infergraph_server.detectors.base import Outcome, check_width
from infergraph_server.detectors.events import DRIFT
from infergraph_server.detectors.metrics import DriftMetrics, drift_metrics
from infergraph_server.detectors.reference import load_reference
from infergraph_server.vocabulary import DETECTORS

__all__ = ["CORRECTIONS", "DriftDetector", "correct"]

CORRECTIONS = ("bonferroni", "fdr")
_FILES = DETECTORS["DRIFT_DETECTOR"].reference_files  # declared with the detector


def correct(p_values: np.ndarray, correction: str) -> np.ndarray:
    """Per-feature p-values corrected for their number (`bonferroni` or `fdr`)."""
    if correction == "bonferroni":
        adjusted: np.ndarray = np.minimum(p_values * len(p_values), 1.0)
        return adjusted
    from scipy.stats import false_discovery_control

    return np.asarray(false_discovery_control(p_values, method="bh"), dtype=np.float64)


def _chi_squared(reference: np.ndarray, window: np.ndarray) -> float:
    """p-value of the window's category counts against the reference's (a 2 x k table)."""
    from scipy.stats import chi2_contingency

    categories = np.union1d(reference, window)
    if len(categories) < 2:
        return 1.0
    table = [
        [int(np.count_nonzero(sample == c)) for c in categories] for sample in (reference, window)
    ]
    return float(chi2_contingency(table).pvalue)


class DriftDetector:
    """Accumulates rows into windows and tests each full window."""

    def __init__(
        self,
        model_uri: str = "/mnt/models",
        windowSize: int = 100,
        pValue: float = 0.05,
        correction: str = "bonferroni",
        categoricalFeatures: Any = (),
    ) -> None:
        if correction not in CORRECTIONS:
            raise ValueError(f'correction: "{correction}" is not one of {", ".join(CORRECTIONS)}')
        if isinstance(windowSize, bool) or not isinstance(windowSize, int) or windowSize < 2:
            raise ValueError(f"windowSize: {windowSize!r} is not an integer of at least 2")
        if not 0 <= pValue <= 1:
            raise ValueError(f"pValue: {pValue} is not between 0 and 1")
        categorical = list(categoricalFeatures)
        if not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in categorical):
            raise ValueError(
                f"categoricalFeatures: {categoricalFeatures!r}; expected a list of column "
                "indices (integers from 0)"
            )
        self.model_uri = model_uri
        self.window_size = windowSize
        self.p_value = pValue
        self.correction = correction
        self.categorical = frozenset(categorical)
        self.reference = np.empty((0, 0))
        self._pending: list[np.ndarray] = []
        self._buffered = 0
        self._metrics: DriftMetrics | None = None

    def fit(self, reference: np.ndarray) -> None:
        """Keep `reference` rows; categorical indices must name its columns."""
        beyond = sorted(i for i in self.categorical if i >= reference.shape[1])
        if beyond:
            raise ValueError(
                f"categoricalFeatures: {beyond} are not columns of the reference data "
                f"({reference.shape[1]} features, indices 0 to {reference.shape[1] - 1})"
            )
        self.reference = reference

    def load(self, name: str, metrics: bool) -> None:
        self.fit(load_reference(self.model_uri, _FILES))
        if metrics:
            self._metrics = drift_metrics(name)

    def p_values(self, window: np.ndarray) -> np.ndarray:
        """The uncorrected p-value of each feature of `window` against the reference."""
        from scipy.stats import ks_2samp

        out = []
        for j in range(self.reference.shape[1]):
            ref, now = self.reference[:, j], window[:, j]
            out.append(
                _chi_squared(ref, now) if j in self.categorical else ks_2samp(ref, now).pvalue
            )
        return np.asarray(out, dtype=np.float64)

    def test(self, window: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray]:
        """(drifted, p-values, corrected p-values) of one window."""
        raw = self.p_values(window)
        corrected = correct(raw, self.correction)
        return bool(corrected.min() < self.p_value), raw, corrected

    def _windows(self, rows: np.ndarray) -> list[np.ndarray]:
        """Add rows; every window they complete, oldest first."""
        self._pending.append(rows)
        self._buffered += len(rows)
        full = []
        if self._buffered >= self.window_size:
            stacked = np.vstack(self._pending)
            count = len(stacked) // self.window_size
            full = [
                stacked[i * self.window_size : (i + 1) * self.window_size] for i in range(count)
            ]
            rest = stacked[count * self.window_size :]
            self._pending, self._buffered = [rest], len(rest)
        return full

    def _record(self, drifted: bool, raw: np.ndarray) -> None:
        m = self._metrics
        if m is None:
            return
        m.drift.set(int(drifted))
        m.windows.labels(m.name, str(drifted).lower()).inc()
        for j, p in enumerate(raw):
            m.p_value.labels(m.name, str(j)).set(float(p))

    def process(self, rows: np.ndarray) -> Outcome:
        check_width(rows, self.reference.shape[1])
        if self._metrics is not None:
            self._metrics.rows.inc(len(rows))
        tested: list[dict[str, Any]] = []
        findings = []
        for window in self._windows(rows):
            drifted, raw, corrected = self.test(window)
            self._record(drifted, raw)
            result = {
                "is_drift": int(drifted),
                "p_val": raw.tolist(),
                "p_val_corrected": corrected.tolist(),
                "threshold": self.p_value,
                "correction": self.correction,
            }
            tested.append(result)
            if drifted:
                findings.append((DRIFT, {"data": result}))
        answer = {
            "data": {"windows": tested, "buffered": self._buffered, "windowSize": self.window_size},
            "meta": {"detector": "drift"},
        }
        return Outcome(answer, findings)
