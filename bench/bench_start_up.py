"""Start-up of the console scripts: what each command imports, and how long a signal is
Python's to report before the entry module's handlers are in place.

- imports: `-X importtime` of each command as its console script runs it; the self times of
  every module imported after `site`, summed (median of --rounds), with the number of those
  modules (which the machine's load does not move), and the same for the
  console scripts of `--baseline BIN` (another build's venv bin, e.g. main's) when given.
- pre-entry: from Python's own SIGINT handler (a signal before it ends the process silently)
  to the entry's (SIGTERM caught), both read from the kernel's mask: `site` and the console
  script's first import, the window that stays; median, min, max of --rounds.
- sweep: SIGINT d ms after spawn while the command waits for a FIFO: exit statuses, and `TB`
  where stderr held a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from start_up import caught_signals, interrupt

__all__ = ["imports_after_site", "main", "pre_entry_ms", "pre_python_ms"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "ab-test.yaml")
#: label -> console script and its arguments (`help` subcommands import what a run imports first)
IMPORT_COMMANDS = {
    "infergraph --version": ("infergraph", "--version"),
    "infergraph validate": ("infergraph", "validate", EXAMPLE),
    "infergraph compile": ("infergraph", "compile", EXAMPLE),
    "infergraph graph": ("infergraph", "graph", EXAMPLE),
    "infergraph render": ("infergraph", "render", EXAMPLE),
    "infergraph up --help": ("infergraph", "up", "--help"),
    **{
        f"infergraph-server {name} --help": ("infergraph-server", name, "--help")
        for name in ("component", "orchestrator", "gateway", "detector", "logsink")
    },
}
#: label -> console script and arguments that block on a FIFO (appended) once imported
SWEEP_COMMANDS = {
    "infergraph validate": ("infergraph", "validate"),
    "infergraph render": ("infergraph", "render"),
    "infergraph-server orchestrator": ("infergraph-server", "orchestrator", "--graph"),
}
SWEEP_MS = (0, 25, 50, 75, 100, 150, 200, 300, 400, 600, 900, 1200)


def imports_after_site(command: Sequence[str]) -> tuple[float, int]:
    """Milliseconds spent importing after `site`, and how many modules, by `-X importtime` of
    one run of `command`."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False
    )
    total, count, after_site = 0, 0, False
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        fields = line.removeprefix("import time:").split("|")
        if after_site:
            total += int(fields[0])
            count += 1
        elif fields[2].strip() == "site":
            after_site = True
    return total / 1000, count


def pre_entry_ms(script: Path, rounds: int) -> list[float]:
    """From Python's SIGINT handler to the entry's, in ms, over `rounds` runs of `script --help`."""
    times = []
    for _ in range(rounds):
        proc = subprocess.Popen([str(script), "--help"], stdout=subprocess.DEVNULL)
        python_s: float | None = None
        while proc.poll() is None:
            caught = caught_signals(proc.pid)
            if python_s is None and signal.SIGINT in caught:
                python_s = time.monotonic()
            if signal.SIGTERM in caught:
                if python_s is not None:
                    times.append((time.monotonic() - python_s) * 1000)
                break
            time.sleep(0.0002)
        proc.kill()
        proc.wait()
    return times


def _imports(builds: dict[str, Path], rounds: int) -> None:
    print(f"imports after site, ms (median of {rounds}) / modules: " + " | ".join(builds))
    for label, (script, *args) in IMPORT_COMMANDS.items():
        cells = []
        for bindir in builds.values():
            runs = [imports_after_site([str(bindir / script), *args]) for _ in range(rounds)]
            cells.append((statistics.median(r[0] for r in runs), runs[0][1]))
        ratio = f"  ({cells[0][0] / cells[1][0]:.2f}x)" if len(cells) == 2 and cells[1][0] else ""
        print(f"  {label:38} " + " | ".join(f"{ms:7.1f} /{n:4}" for ms, n in cells) + ratio)


def _sweep(builds: dict[str, Path], fifo: Path) -> None:
    print("SIGINT d ms after spawn -> exit status (TB: a traceback on stderr)")
    for name, bindir in builds.items():
        for label, (script, *args) in SWEEP_COMMANDS.items():
            cells = []
            for ms in SWEEP_MS:
                command = [str(bindir / script), *args, str(fifo)]
                outcome = interrupt(command, ms / 1000, from_entry=False, cwd=fifo.parent)
                mark = "TB" if "Traceback" in outcome.stderr else ""
                cells.append(f"{ms}:{outcome.returncode}{mark}")
            print(f"  {name:9} {label:32} " + " ".join(cells))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another build's venv bin directory")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    builds = {"this": Path(sys.executable).parent}
    if args.baseline is not None:
        builds["baseline"] = args.baseline
    _imports(builds, args.rounds)
    for script in ("infergraph", "infergraph-server"):
        times = pre_entry_ms(builds["this"] / script, args.rounds)
        print(
            f"pre-entry window {script}: median {statistics.median(times):.0f} ms "
            f"(min {min(times):.0f}, max {max(times):.0f}, {len(times)} runs); "
            "`python -c pass` for scale: "
            f"{statistics.median(pre_python_ms(args.rounds)):.0f} ms"
        )
    with tempfile.TemporaryDirectory() as tmp:
        fifo = Path(tmp) / "graph.yaml"
        os.mkfifo(fifo)
        _sweep(builds, fifo)
    return 0


def pre_python_ms(rounds: int) -> list[float]:
    """Wall time of a bare `python -c pass` (interpreter start-up and `site`), in ms."""
    times = []
    for _ in range(rounds):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append((time.monotonic() - started) * 1000)
    return times


if __name__ == "__main__":
    sys.exit(main())
