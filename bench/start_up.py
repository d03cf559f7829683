"""Signals sent to a real console script at chosen moments of its start-up.

`interrupt` starts the command, waits, sends the signal and returns what the process left:
its exit status and stderr. The wait counts from the process's start, or (`from_entry`) from
the moment its entry module has installed its handlers, read from the kernel's mask of caught
signals (`SigCgt` in /proc/PID/status): Python itself catches SIGINT from its own start-up on
but never SIGTERM, so a caught SIGTERM marks our first line. Counting from there makes a sweep
over the import window repeatable on a loaded machine, where the interpreter's own start-up
(before any line of ours, where nothing of ours can help) takes anywhere from 20 to 200 ms.
Used by bench_start_up.py and tests/e2e_local/test_start_up_signals.py.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ENTRY_TIMEOUT_S", "Outcome", "caught_signals", "interrupt"]

#: how long `interrupt(from_entry=True)` waits for the entry's handlers before giving up
ENTRY_TIMEOUT_S = 10.0
_POLL_S = 0.001


@dataclass(frozen=True)
class Outcome:
    """What the interrupted process left; `entry_s` is when its entry caught SIGTERM (None:
    not seen, or not waited for), counted from the start."""

    returncode: int
    stderr: str
    entry_s: float | None


def caught_signals(pid: int) -> set[int]:
    """The signals process `pid` has a handler for (empty once it has gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return set()
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            mask = int(line.split()[1], 16)
            return {n for n in range(1, 65) if mask & (1 << (n - 1))}
    return set()


def _wait_for_entry(proc: subprocess.Popen[str], started: float) -> float | None:
    deadline = started + ENTRY_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        if signal.SIGTERM in caught_signals(proc.pid):
            return time.monotonic() - started
        time.sleep(_POLL_S)
    return None


def interrupt(
    command: list[str], delay_s: float, *, sig: int = signal.SIGINT, from_entry: bool, cwd: Path
) -> Outcome:
    """Run `command`, send `sig` `delay_s` after its start (or its entry), and wait for it."""
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    entry_s = _wait_for_entry(proc, started) if from_entry else None
    time.sleep(delay_s)
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        stderr += "\n(still running 60 s after the signal: killed)"
    return Outcome(proc.returncode, stderr, entry_s)
