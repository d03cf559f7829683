"""When the tier runs: wherever its binaries are cached (so `make test` runs it there), never
where they are not (CI: one reason line), and not when INFERGRAPH_CLUSTER=0 turns it off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import NOT_BUILT, TURNED_OFF
from .local import REPO

LIVE = "tests/cluster/test_nodes.py::test_live_gpu_node_keeps_its_gpu_taint_and_is_ready"


def _collect(env: dict[str, str]) -> str:
    """The skip summary of one live test, collected and run in a pytest of its own."""
    argv = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", LIVE]
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    return done.stdout


@pytest.mark.parametrize(
    ("setting", "reason"), [(None, NOT_BUILT), ("0", TURNED_OFF)], ids=["unbuilt", "turned-off"]
)
def test_tier_skips_with_one_reason_line(tmp_path: Path, setting: str | None, reason: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "INFERGRAPH_CLUSTER"}
    env["CLUSTER_CACHE"] = str(tmp_path / "empty-cache")
    if setting is not None:
        env["INFERGRAPH_CLUSTER"] = setting
    out = _collect(env)
    assert "1 skipped" in out, out
    assert [line for line in out.splitlines() if line.startswith("SKIPPED")] == [
        f"SKIPPED [1] tests/cluster: {reason}"
    ], out
