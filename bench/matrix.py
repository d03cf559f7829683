"""Interleaved measurement of several servers: round-robin runs, the best round per cell.

All servers are up at once and every round visits each target in turn, so a burst of other
load on the machine hits every server alike instead of one of them; per cell (target,
concurrency) the round with the highest req/s counts, the server's peak RSS is the highest
seen in any of its runs at that concurrency, and its CPU time per request the lowest (the
round least disturbed by other work).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness import ServerProcess, post_json, session_cpu_seconds
from loadgen import LoadResult, run_load

__all__ = ["Cell", "Target", "add_run_flags", "check_answers", "measure"]


@dataclass(frozen=True)
class Target:
    """One (server, endpoint, body) that load is sent to; ``server`` names its process;
    ``cpus``: wrk runs on these only (None: anywhere)."""

    label: str
    server: str
    url: str
    body: bytes
    cpus: frozenset[int] | None = None


@dataclass(frozen=True)
class Cell:
    """Best round of one target at one concurrency, its server's peak RSS over rounds and its
    lowest CPU time per request, in microseconds."""

    result: LoadResult
    peak_rss: int
    cpu_us: float


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
        run_load(target.url, target.body, 8, max(1, seconds // 2), target.cpus)
    cells: dict[tuple[str, int], Cell] = {}
    for connections in concurrency:
        for _ in range(rounds):
            for target in targets:
                proc = procs[target.server]
                proc.reset_peak()
                cpu_before = session_cpu_seconds(proc.pid)
                result = run_load(target.url, target.body, connections, seconds, target.cpus)
                if result.failures:
                    raise SystemExit(f"{target.label}: {result.failures} failed requests")
                cpu_us = (session_cpu_seconds(proc.pid) - cpu_before) * 1e6 / result.requests
                key = (target.label, connections)
                old = cells.get(key)
                if old is None:
                    cells[key] = Cell(result, proc.peak_rss, cpu_us)
                else:
                    best = result if result.rps > old.result.rps else old.result
                    peak = max(proc.peak_rss, old.peak_rss)
                    cells[key] = Cell(best, peak, min(cpu_us, old.cpu_us))
    return cells
