"""What every detector class gives the detector server: load, then one `process` per payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from infergraph_server.errors import BadRequest

__all__ = ["Detector", "Outcome", "check_width"]


@dataclass
class Outcome:
    """The answer to one logged payload, and the findings to send as events (type, data)."""

    answer: dict[str, Any]
    findings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Detector(Protocol):
    """A detector class: constructed from modelUri and its declared parameters."""

    def load(self, name: str, metrics: bool) -> None:
        """Read the reference data and fit; `name` labels its metrics (none when not `metrics`)."""

    def process(self, rows: np.ndarray) -> Outcome:
        """Score or accumulate the rows (2-D float64) of one logged request."""


def check_width(rows: np.ndarray, features: int) -> None:
    """BadRequest unless `rows` have the reference data's number of features."""
    if rows.shape[1] != features:
        raise BadRequest(
            f"event body: rows of {rows.shape[1]} features; the reference data has {features}"
        )
