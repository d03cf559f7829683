"""`infergraph up --runtime containers` at the command line, where no engine is needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "sklearn-single.yaml")


def _up(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infergraph.cli", "up", EXAMPLE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_engine_without_the_containers_runtime_is_a_usage_error() -> None:
    done = _up("--engine", "jsonnet")
    assert done.returncode == 2
    assert done.stderr.strip() == "infergraph up: --engine: only with --runtime containers"


def test_an_unknown_runtime_is_a_usage_error() -> None:
    done = _up("--runtime", "vm")
    assert done.returncode == 2 and "--runtime" in done.stderr


def test_no_engine_answering_is_one_line_and_exit_1(tmp_path: Path) -> None:
    socket = tmp_path / "no-docker.sock"
    done = _up("--runtime", "containers", env={"DOCKER_HOST": f"unix://{socket}"})
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("infergraph up: no Docker Engine answers"), line
