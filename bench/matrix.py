"""Interleaved measurement of several servers: round-robin runs, the best round per cell.

All servers are up at once and every round visits each target in turn, so a burst of other
load on the machine hits every server alike instead of one of them; per cell (target,
concurrency) the round with the highest req/s counts, and the server's peak RSS is the
highest seen in any of its runs at that concurrency.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness import ServerProcess, post_json
from loadgen import LoadResult, run_load

__all__ = ["Cell", "Target", "add_run_flags", "check_answers", "measure"]


@dataclass(frozen=True)
class Target:
    """One (server, endpoint, body) that load is sent to; ``server`` names its process."""

    label: str
    server: str
    url: str
    body: bytes


@dataclass(frozen=True)
class Cell:
    """Best round of one target at one concurrency, and its server's peak RSS over rounds."""

    result: LoadResult
    peak_rss: int


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """`--seconds` and `--rounds`, which every interleaved bench takes alike."""
    parser.add_argument("--seconds", type=int, default=3, help="length of one run")
    parser.add_argument("--rounds", type=int, default=2, help="runs per cell; the best counts")


def check_answers(
    targets: Sequence[Target],
    read: Callable[[dict[str, object]], list[float]],
    expected: list[float],
) -> None:
    """Every target must answer ``expected`` (as read from its answer), or figures are void."""
    for target in targets:
        got = read(post_json(target.url, target.body))
        if len(got) != len(expected) or not all(map(math.isclose, got, expected)):
            raise SystemExit(f"{target.label}: answered {got}, expected {expected}")


def measure(
    targets: Sequence[Target],
    procs: dict[str, ServerProcess],
    concurrency: Sequence[int],
    seconds: int,
    rounds: int,
) -> dict[tuple[str, int], Cell]:
    """Warm each target up, then round-robin over the targets at every concurrency."""
    for target in targets:
        run_load(target.url, target.body, 8, max(1, seconds // 2))
    cells: dict[tuple[str, int], Cell] = {}
    for connections in concurrency:
        for _ in range(rounds):
            for target in targets:
                proc = procs[target.server]
                proc.reset_peak()
                result = run_load(target.url, target.body, connections, seconds)
                if result.failures:
                    raise SystemExit(f"{target.label}: {result.failures} failed requests")
                key = (target.label, connections)
                old = cells.get(key)
                if old is None:
                    cells[key] = Cell(result, proc.peak_rss)
                else:
                    best = result if result.rps > old.result.rps else old.result
                    cells[key] = Cell(best, max(proc.peak_rss, old.peak_rss))
    return cells
