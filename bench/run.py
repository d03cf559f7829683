"""Run every ``bench/bench_*.py`` in turn and print what each measured (``make bench``).

Each bench script is its own process, so one that fails (or a peer that will not start)
is reported by name and the others still run; the exit code is 1 if any failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main"]

BENCH = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run the bench scripts named in ``argv`` (default: all), print their output."""
    scripts = [BENCH / name for name in argv] or sorted(BENCH.glob("bench_*.py"))
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH, check=False).returncode
        print(f"== {script.name}: {'ok' if code == 0 else f'FAILED ({code})'} "
              f"in {time.monotonic() - started:.0f}s\n", flush=True)  # fmt: skip
        if code != 0:
            failed.append(script.name)
    if failed:
        print(f"bench failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
