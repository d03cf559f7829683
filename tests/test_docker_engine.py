"""tools/docker_engine.py's leases: a session never stops an engine it did not start, and a
dead session's lease does not keep one running. (Starting dockerd is the container tier's.)"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "docker_engine.py"


def _load(state: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("INFERGRAPH_DOCKER_STATE", str(state))
    spec = importlib.util.spec_from_file_location("docker_engine_under_test", TOOL)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_release_never_stops_a_process_that_is_not_our_dockerd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _load(tmp_path, monkeypatch)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        engine.LEASES.mkdir(parents=True)
        engine.STARTED.write_text(str(other.pid))  # a pid file naming something else
        (engine.LEASES / "999999999").touch()  # a session that died without releasing
        engine.release(os.getpid())
        assert other.poll() is None
        assert list(engine.LEASES.iterdir()) == []
    finally:
        other.kill()
        other.wait()


def test_usage_error_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _load(tmp_path, monkeypatch).main(["run", "true"]) == 2


def test_an_ended_child_is_not_alive_and_is_reaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dockerd a session started is its child: once SIGTERM ends it, it stays a zombie in
    /proc until reaped, and the stop used to wait its whole timeout (60 s) for it to leave."""
    engine = _load(tmp_path, monkeypatch)
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    stat = Path(f"/proc/{child.pid}/stat")
    while stat.read_text().rpartition(")")[2].split()[0] != "Z":
        time.sleep(0.01)  # exited, not yet reaped
    assert not engine._alive(child.pid)
    assert not stat.exists()  # reaped by _alive
    child.wait()  # subprocess takes the missing child as ended
