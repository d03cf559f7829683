"""Closed-loop HTTP load with wrk: POST one JSON body over N keep-alive connections.

wrk (C, epoll, one thread) drives tens of thousands of requests per second on one core, far
beyond the servers measured here; each result carries the CPU share wrk itself used so the
table shows that the generator was not the bottleneck. A Lua ``done`` hook prints the figures
as one JSON line, so nothing depends on wrk's human-readable report.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoadResult", "require_wrk", "run_load"]

_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("LOADGEN_BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nLOADGEN {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured; latencies in milliseconds."""

    connections: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    failures: int
    generator_cpu: float  # wrk's CPU seconds / wall seconds (1.0 = one core busy)


def require_wrk() -> str:
    """Path of wrk, or a clear error saying how to get it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk not found; install it with: apt-get install -y wrk (make bench does)")
    return path


def run_load(
    url: str, body: bytes, connections: int, seconds: int, cpus: frozenset[int] | None = None
) -> LoadResult:
    """Run wrk with one thread and ``connections`` connections for ``seconds`` (on ``cpus``
    only, if given: ``taskset``, as a process started here cannot be pinned before it runs)."""
    with tempfile.TemporaryDirectory(prefix="loadgen-") as tmp:
        script, body_file = Path(tmp, "post.lua"), Path(tmp, "body.json")
        script.write_text(_SCRIPT)
        body_file.write_bytes(body)
        argv = [require_wrk(), "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
        if cpus is not None:
            argv = ["taskset", "--cpu-list", ",".join(map(str, sorted(cpus))), *argv]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        done = subprocess.run(
            [*argv, "-s", str(script), url],
            env={"LOADGEN_BODY_FILE": str(body_file)},
            capture_output=True, text=True, timeout=seconds + 30, check=False,
        )  # fmt: skip
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("LOADGEN ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    fig = json.loads(lines[-1].removeprefix("LOADGEN "))
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return LoadResult(
        connections=connections,
        requests=fig["requests"],
        rps=fig["requests"] / (fig["duration_us"] / 1e6),
        p50_ms=fig["p50_us"] / 1000,
        p99_ms=fig["p99_us"] / 1000,
        failures=fig["non_2xx"] + fig["socket_errors"],
        generator_cpu=cpu / wall,
    )
