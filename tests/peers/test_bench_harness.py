"""The bench's own tools work: a server starts on loopback, wrk loads it without errors,
memory and CPU time of the process tree are tracked, and stopping leaves no process behind.
No timing is asserted: benchmarks print figures, tests check the machinery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .clients import servers

pytestmark = pytest.mark.e2e_local

if shutil.which("wrk") is None:
    pytest.skip("wrk missing (make bench installs it)", allow_module_level=True)

from harness import session_cpu_seconds, session_pids, session_rss_bytes  # noqa: E402
from loadgen import run_load  # noqa: E402


def test_load_and_memory_of_a_real_server(iris_model: Path, tmp_path: Path) -> None:
    launch = servers.our_component(tmp_path, servers.sklearn_flags(iris_model), workers=2)
    with launch.proc as proc:
        cpu_before = session_cpu_seconds(proc.pid)
        result = run_load(f"{launch.url}/api/v1.0/predictions", servers.SELDON_BODY, 4, 1)
        pid = proc.pid
        assert session_cpu_seconds(pid) - cpu_before > 0.05  # the workers' time is counted
        assert proc.idle_rss > 0
        assert session_rss_bytes(pid) >= proc.idle_rss // 2  # parent + 2 workers still there
    assert result.requests > 0 and result.failures == 0
    assert result.p50_ms <= result.p99_ms
    assert 0 < result.generator_cpu < 2
    assert session_pids(pid) == []  # the whole session is gone
