"""Start a server process on loopback, wait until it answers, track its memory, stop it.

Shared by every bench script (and usable from tests): a server is one process started in a
new session, so its whole tree — gunicorn workers, MLServer's inference pool, our worker
processes — is the set of processes with that session id, which is what memory is summed over.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "ServerProcess",
    "pin_session",
    "post_json",
    "session_cpu_seconds",
    "session_pids",
    "session_rss_bytes",
]

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _session_stats(sid: int) -> Iterator[tuple[int, list[str]]]:
    """(pid, fields of /proc/PID/stat after the parenthesised command: state ppid pgrp session
    ...) of every live process whose session id is ``sid``."""
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process exited while we looked
        if int(fields[3]) == sid and fields[0] != "Z":
            yield int(entry.name), fields


def session_pids(sid: int) -> list[int]:
    """Live processes whose session id is ``sid`` (a server started with start_new_session)."""
    return [pid for pid, _ in _session_stats(sid)]


def session_rss_bytes(sid: int) -> int:
    """Sum of resident memory of every live process whose session id is ``sid``."""
    total = 0
    for pid in session_pids(sid):
        with contextlib.suppress(OSError, IndexError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


def session_cpu_seconds(sid: int) -> float:
    """CPU time (user + system) the live processes of session ``sid`` have used so far.

    What a server spends per request is far steadier than its req/s on a machine that other
    work shares: a busy neighbour takes wall time from it, not instructions."""
    ticks = sum(int(fields[11]) + int(fields[12]) for _, fields in _session_stats(sid))
    return ticks / CLOCK_TICKS  # fields 11 and 12: utime and stime, in clock ticks


def pin_session(sid: int, cpus: frozenset[int]) -> None:
    """Run every thread of every process of session ``sid`` on ``cpus`` only; threads and
    processes started later inherit it (a thread's affinity is its own: each one is set)."""
    for pid in session_pids(sid):
        with contextlib.suppress(FileNotFoundError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(ProcessLookupError):  # the thread just ended
                    os.sched_setaffinity(int(task), cpus)


def post_json(url: str, body: bytes, timeout: float = 5.0) -> Any:
    """POST a JSON body and return the decoded JSON answer (raises on a non-2xx status)."""
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


class ServerProcess:
    """A server run as ``argv`` in its own session; a context manager that always stops it.

    ``ready_url`` is polled with GET until it answers 2xx (bounded by ``start_timeout``).
    While running, a thread samples the session's RSS every ``sample_interval`` seconds (None:
    no sampling, as tests start it); ``peak_rss`` is the highest sum seen, ``idle_rss`` the sum
    right after readiness. ``cpus``: the whole session runs on these CPUs only (a pod with its
    own cores, on a machine whose cores the rest of the bench shares).
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        ready_url: str,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_path: Path | None = None,
        start_timeout: float = 60.0,
        sample_interval: float | None = 0.2,
        cpus: frozenset[int] | None = None,
    ) -> None:
        self.name = name
        self.cpus = cpus
        self.argv = list(argv)
        self.ready_url = ready_url
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.sample_interval = sample_interval
        self.peak_rss = 0
        self.idle_rss = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ServerProcess:
        with open(self.log_path or os.devnull, "wb") as log:  # the child keeps its own copy
            self._proc = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            if self.cpus is not None:  # before it starts workers, and again once it is up
                pin_session(self._proc.pid, self.cpus)
            self._wait_ready()
            if self.cpus is not None:
                pin_session(self._proc.pid, self.cpus)
        except BaseException:
            self.stop()
            raise
        if self.sample_interval is not None:
            self.idle_rss = session_rss_bytes(self._proc.pid)
            self._sampler.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """Process id (= session id) of the started server."""
        assert self._proc is not None, "not started"
        return self._proc.pid

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the server process itself (not its session)."""
        assert self._proc is not None, "not started"
        self._proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        """The exit code once the server has exited (TimeoutExpired after ``timeout`` s)."""
        assert self._proc is not None, "not started"
        return self._proc.wait(timeout)

    def reset_peak(self) -> None:
        """Forget the peak so far (e.g. after warm-up), keeping the current level."""
        assert self._proc is not None
        self.peak_rss = session_rss_bytes(self._proc.pid)

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self._proc.returncode}{self._tail()}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=1.0):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready within {self.start_timeout:.0f}s{self._tail()}")

    def _tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(errors="replace").splitlines()[-15:]
        return "; last log lines:\n" + "\n".join(lines)

    def _sample(self) -> None:
        assert self._proc is not None and self.sample_interval is not None
        while not self._stop.wait(self.sample_interval):
            self.peak_rss = max(self.peak_rss, session_rss_bytes(self._proc.pid))

    def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM the server (as a kubelet does: it stops its own workers), SIGKILL its whole
        session after ``grace`` seconds or once it has exited; its exit code (None when it was
        never started)."""
        self._stop.set()
        if self._sampler.is_alive():
            self._sampler.join()
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with contextlib.suppress(ProcessLookupError):  # stragglers, e.g. a pool process
            os.killpg(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + grace
        while session_pids(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # SIGKILL is delivered at once, but dying takes a moment
        return proc.returncode
