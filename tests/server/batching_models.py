"""Row-wise user classes for the batching tests; each records the row count of every call."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np


class RowWise:
    """Opts in to batching; a row whose first value is -1 makes the whole call fail."""

    batchable = True

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, X: Any, feature_names: list[str]) -> Any:
        first = X[0] if isinstance(X, list) else X
        self.calls.append(len(first))
        if (first[:, 0] == -1).any():
            raise ValueError("poisoned row")
        if isinstance(X, list):
            return {"double": X[0] * 2, "plus": X[1] + 1}
        return X * 2 + 1


class AsyncRowWise(RowWise):
    """The same, async: the loop runs while a call is in flight, so requests queue."""

    async def predict(self, X: Any, feature_names: list[str]) -> Any:  # type: ignore[override]
        await asyncio.sleep(0.01)
        return RowWise.predict(self, X, feature_names)


class NotRowWise(RowWise):
    """Answers one row whatever it gets: batching must fall back to one call per request."""

    def predict(self, X: Any, feature_names: list[str]) -> Any:
        self.calls.append(len(X))
        return np.atleast_2d(X.sum(axis=0))


class SizeEcho:
    """Sleeps 10 ms on the event loop (as a sync model does) and answers each row with the
    number of rows of the call it was in."""

    batchable = True

    def predict(self, X: Any, feature_names: list[str]) -> Any:
        time.sleep(0.01)
        return np.full((len(X), 1), len(X))


class AsyncSizeEcho:
    """Awaits 300 ms (the loop runs meanwhile) and answers each row with its call's rows."""

    batchable = True

    async def predict(self, X: Any, feature_names: list[str]) -> Any:
        await asyncio.sleep(0.3)
        return np.full((len(X), 1), len(X))
