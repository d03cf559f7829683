"""Adaptive batching: the rows of concurrent compatible requests go to the model in one call.

An idle server (nothing queued, no call in flight) calls the model at once, inline in the
request's own task: no queue, no worker task, no extra loop turn, so batching adds no latency at
low load. Requests that arrive during a call queue; the next call takes up to `max_rows` rows,
or what has queued `max_latency` seconds after the first of them. A synchronous model blocks
the event loop during its call: the requests that arrived meanwhile are read in the first poll
after it, reach `submit` in the loop turn after that, and queue as arrived during the call. The
call they waited for is over, so they go in the next call at once, without `max_latency`: the
answer of an inline call is written before that poll, and the next request of the client it
answered may already be read there (on a busy machine often), so that one client must not wait
`max_latency` alone. Only requests with the same key (names, dtypes, trailing shapes) are
merged; the key is computed only for a request that queues, so the inline call costs what an
unbatched one does. A batched call that raises, or whose answer cannot be split by rows, is
retried for each request alone, so every request gets its own answer or its own error.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Batcher", "Key", "Observe", "Run", "batch_rows", "split_rows"]

#: A request's own model call, given its (or a batch's concatenated) input arrays.
Run = Callable[[tuple[np.ndarray, ...]], Awaitable[Any]]
#: A queued request's compatibility key; requests with equal keys may share a call.
Key = Callable[[], Hashable]
#: Records one model call: its row count and each of its requests' queue waits (seconds).
Observe = Callable[[int, list[float]], None]


# Turns after an inline call in which `submit` still queues: the data of requests that arrived
# during a blocking call is read in the first poll after it and reaches `submit` in the next
# turn. A longer window catches more of the next requests of the client that call answered.
_INLINE_SETTLE_TURNS = 2
# Turns a worker looks for arrivals after its call: those read in the first poll after a
# blocking call reach `submit` in the second turn. Its answers are written in the first turn,
# so the next requests of the clients it answered come later and find the node idle; a longer
# window made one client's every request queue behind a worker and wait `max_latency`.
_WORKER_SETTLE_TURNS = 2


@dataclass(slots=True, eq=False)
class _Waiting:
    key: Hashable
    arrays: tuple[np.ndarray, ...]
    rows: int
    run: Run
    future: asyncio.Future[Any]
    since: float
    due: float  # when a call must take it at the latest


def batch_rows(x: Any) -> tuple[np.ndarray, ...] | None:
    """A predict input as arrays of equal row count (axis 0); None when it has no rows to merge."""
    if isinstance(x, np.ndarray):
        return (x,) if x.ndim >= 1 and x.shape[0] > 0 else None
    if not isinstance(x, list) or not x or not all(isinstance(a, np.ndarray) for a in x):
        return None
    rows = x[0].shape[0] if x[0].ndim >= 1 else 0
    if rows == 0 or any(a.ndim == 0 or a.shape[0] != rows for a in x):
        return None
    return tuple(x)


def split_rows(out: Any, offsets: Sequence[int]) -> list[Any]:
    """`out` cut along axis 0 at `offsets` (a dict: each value); ValueError unless row-wise."""
    total = offsets[-1]
    if isinstance(out, dict):
        parts = {key: split_rows(value, offsets) for key, value in out.items()}
        return [{key: cut[i] for key, cut in parts.items()} for i in range(len(offsets) - 1)]
    arr = out if isinstance(out, np.ndarray) else np.asarray(out)
    if arr.ndim == 0 or arr.shape[0] != total:
        raise ValueError(f"the answer has shape {list(arr.shape)}, not {total} rows")
    return [arr[offsets[i] : offsets[i + 1]] for i in range(len(offsets) - 1)]


class Batcher:
    """One node's request queue and the worker task that empties it into model calls; an idle
    node's request makes its own call inline."""

    def __init__(self, max_rows: int, max_latency: float, observe: Observe | None) -> None:
        self.max_rows = max_rows
        self.max_latency = max_latency
        self._observe = observe
        self._queue: list[_Waiting] = []
        self._rows = 0
        self._worker: asyncio.Task[None] | None = None
        self._full: asyncio.Future[None] | None = None
        self._inline = False  # an idle node's request is making its own call
        self._settling = False  # in the loop turns after that call: arrivals count as during it
        # (the loop, what ends `_settling` there after the turns), made at the first inline call
        self._settle: tuple[asyncio.AbstractEventLoop, Callable[[], object]] | None = None
        self._inline_done: asyncio.Future[None] | None = None  # a worker waits for that call

    async def submit(self, arrays: tuple[np.ndarray, ...], run: Run, key: Key) -> Any:
        """The answer to one request's rows (`run` called on them, alone or in a batch).

        `key()` is asked only when the request queues: an idle node's request never needs it."""
        rows = arrays[0].shape[0]
        if self._worker is not None or self._inline or self._settling:
            return await self._queued(key(), arrays, rows, run)
        # An idle node: this request's own call, in its own task (no future, no loop turn).
        if self._observe is not None:
            self._observe(rows, [0.0])
        self._inline = True
        try:
            return await run(arrays)
        finally:
            self._inline = False
            self._settling = True
            loop = asyncio.get_running_loop()
            if self._settle is None or self._settle[0] is not loop:
                self._settle = (loop, self._chain(loop))
            loop.call_soon(self._settle[1])
            waiter, self._inline_done = self._inline_done, None
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def _queued(
        self, key: Hashable, arrays: tuple[np.ndarray, ...], rows: int, run: Run
    ) -> Any:
        """A busy node: the request waits for a worker's call."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        now = time.perf_counter()
        # Read right after a blocking inline call: it arrived during that call, which is over.
        due = now if self._settling and not self._inline else now + self.max_latency
        self._queue.append(_Waiting(key, arrays, rows, run, future, now, due))
        self._rows += rows
        if self._worker is None:
            self._worker = loop.create_task(self._work())
        elif self._full is not None and self._rows >= self.max_rows and not self._full.done():
            self._full.set_result(None)
        return await future  # a cancelled caller cancels this future: its rows are skipped

    def _chain(self, loop: asyncio.AbstractEventLoop) -> Callable[[], object]:
        """What, scheduled after an inline call, ends the settle window `_INLINE_SETTLE_TURNS`
        loop turns later: call_soon of call_soon of a setattr, so no turn runs Python code."""
        chain: Callable[[], object] = functools.partial(setattr, self, "_settling", False)
        for _ in range(_INLINE_SETTLE_TURNS - 1):
            chain = functools.partial(loop.call_soon, chain)
        return chain

    async def _work(self) -> None:
        try:
            if self._inline:  # requests that queued during an inline call go after it
                self._inline_done = asyncio.get_running_loop().create_future()
                await self._inline_done
            while True:
                await self._fill()
                await self._dispatch(self._take())
                # A sync call blocked the loop: what arrived meanwhile is read in these turns.
                for _ in range(_WORKER_SETTLE_TURNS):
                    if self._queue:
                        break
                    await asyncio.sleep(0)
                if not self._queue:
                    return  # idle again
        except asyncio.CancelledError:
            for item in self._queue:
                item.future.cancel()
            self._queue.clear()
            raise
        finally:
            self._worker = None

    async def _fill(self) -> None:
        """Wait until `max_rows` rows queue or the first queued request is due."""
        delay = self._queue[0].due - time.perf_counter()
        if self._rows >= self.max_rows or delay <= 0:
            return
        full = self._full = asyncio.get_running_loop().create_future()
        timer = asyncio.get_running_loop().call_later(delay, _resolve, full)
        try:
            await full
        finally:
            timer.cancel()
            self._full = None

    def _take(self) -> list[_Waiting]:
        """The next call's requests: the oldest live one and those of its key that fit after it."""
        batch: list[_Waiting] = []
        rest: list[_Waiting] = []
        rows, full = 0, False
        for item in self._queue:
            if item.future.done():  # its caller went away: drop its rows
                self._rows -= item.rows
            elif not batch or (not full and item.key == batch[0].key):
                if batch and rows + item.rows > self.max_rows:
                    full = True  # first come, first served: no later request jumps it
                    rest.append(item)
                    continue
                batch.append(item)
                rows += item.rows
                self._rows -= item.rows
            else:
                rest.append(item)
        self._queue = rest
        return batch

    async def _dispatch(self, batch: list[_Waiting]) -> None:
        if not batch:
            return
        if self._observe is not None:
            now = time.perf_counter()
            self._observe(sum(item.rows for item in batch), [now - i.since for i in batch])
        if len(batch) == 1:
            await _answer(batch[0])
            return
        offsets = [0]
        for item in batch:
            offsets.append(offsets[-1] + item.rows)
        width = len(batch[0].arrays)
        merged = tuple(np.concatenate([i.arrays[k] for i in batch]) for k in range(width))
        try:
            parts = split_rows(await batch[0].run(merged), offsets)
        except Exception:  # a bad row or a non-row-wise answer: each request on its own
            for item in batch:
                await _answer(item)
            return
        for item, part in zip(batch, parts, strict=True):
            if not item.future.done():
                item.future.set_result(part)


async def _answer(item: _Waiting) -> None:
    """Run one request alone; its answer or its own error goes to its caller."""
    if item.future.done():
        return
    try:
        result = await item.run(item.arrays)
    except Exception as exc:
        if not item.future.done():
            item.future.set_exception(exc)
        return
    if not item.future.done():
        item.future.set_result(result)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
