"""Every benchmark and A/B script imports as `make bench` runs it: from bench/, with nothing of
the test tree on the path (pytest's pythonpath hides a bench module that imports from tests/).
The peers' entry scripts (seldon_iris.py) import their peer and run in its venv instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_every_bench_module_imports_from_bench_alone() -> None:
    scripts = [*BENCH.glob("bench_*.py"), *BENCH.glob("ab_*.py"), BENCH / "run.py"]
    modules = sorted(p.stem for p in scripts)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", "import " + ", ".join(modules)],
        cwd=BENCH, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
