"""Every target `make help` lists works from a fresh clone (issue 11, defect 5).

A fresh `git clone` of this checkout's HEAD has no venvs and no build output, so `make -n`
there shows what a new user's first `make TARGET` would do. Variables used in prerequisites
must be defined before the rule is read, whatever order `include mk/*.mk` reads files in.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("make") is None, reason="needs git and make"
)


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    head = _run("git", "rev-parse", "HEAD", cwd=ROOT).stdout.strip()
    target = tmp_path_factory.mktemp("clone") / "infergraph"
    done = _run("git", "clone", "--quiet", "--no-checkout", str(ROOT), str(target), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    done = _run("git", "checkout", "--quiet", head, cwd=target)
    assert done.returncode == 0, done.stderr
    yield target


def _targets(clone: Path) -> list[str]:
    done = _run("make", "--no-print-directory", "help", cwd=clone)
    assert done.returncode == 0, done.stderr
    return [line.split()[0] for line in done.stdout.splitlines() if line.strip()]


def test_help_lists_the_main_targets(clone: Path) -> None:
    targets = _targets(clone)
    for target in ("setup", "test", "lint", "bench", "demo", "golden", "e2e"):
        assert target in targets, targets


def test_every_listed_target_dry_runs_in_a_fresh_clone(clone: Path) -> None:
    failures = {}
    for target in _targets(clone):
        done = _run("make", "-n", "--warn-undefined-variables", target, cwd=clone)
        if done.returncode != 0 or "undefined variable" in done.stderr:
            failures[target] = done.stderr.strip()
    assert not failures, failures


def test_bench_builds_the_peer_venvs_first(clone: Path) -> None:
    done = _run("make", "--no-print-directory", "-n", "bench", cwd=clone)
    assert done.returncode == 0, done.stderr
    plan = done.stdout
    for venv in (".venv-peers", ".venv-mlserver"):
        assert f"-m venv {venv}" in plan, plan
        assert plan.index(f"-m venv {venv}") < plan.index("bench/run.py")
