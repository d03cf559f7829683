"""The bench's own tools work: a server starts on loopback, wrk loads it without errors,
memory and CPU time of the process tree are tracked, and stopping leaves no process behind.
No timing is asserted: benchmarks print figures, tests check the machinery."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .clients import servers

pytestmark = pytest.mark.e2e_local

if shutil.which("wrk") is None:
    pytest.skip("wrk missing (make bench installs it)", allow_module_level=True)

from harness import (  # noqa: E402
    pin_session,
    session_cpu_seconds,
    session_pids,
    session_rss_bytes,
)
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


def test_a_pinned_server_runs_every_thread_of_its_tree_on_its_cpus(
    iris_model: Path, tmp_path: Path
) -> None:
    cpu = max(os.sched_getaffinity(0))  # not the first: a default affinity would not pass
    flags = servers.sklearn_flags(iris_model)
    launch = servers.our_component(tmp_path, flags, workers=2, cpus=frozenset({cpu}))
    with launch.proc as proc:
        pids = session_pids(proc.pid)
        threads = [int(t) for pid in pids for t in os.listdir(f"/proc/{pid}/task")]
        affinities = {os.sched_getaffinity(t) == {cpu} for t in threads}
    assert len(pids) >= 3  # the server and its 2 workers (and multiprocessing's helper)
    assert len(threads) > len(pids)  # the workers' threads are checked too
    assert affinities == {True}


def test_pin_session_moves_a_running_server(iris_model: Path, tmp_path: Path) -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: nothing to pin away from")
    cpu = min(os.sched_getaffinity(0))
    launch = servers.our_component(tmp_path, servers.sklearn_flags(iris_model))
    with launch.proc as proc:
        assert os.sched_getaffinity(proc.pid) != {cpu}
        pin_session(proc.pid, frozenset({cpu}))
        assert os.sched_getaffinity(proc.pid) == {cpu}
