"""This checkout's component server against another build of it: what a change costs.

``python bench/ab_server.py --baseline VENV/bin/infergraph-server`` starts both on loopback
with the same iris model and measures them interleaved (matrix.py), Seldon REST and V2 REST,
at c=1 and c=32, best of ``--rounds``. It prints each pair's req/s ratio, p50 difference and
server CPU time per request (the steadiest of the three where other work shares the machine).
Not part of ``make bench`` (it needs a second build); a change's budget is checked with it on a
quiet machine, for example the runtime hardening against the commit before it:
``git worktree add /tmp/before <commit> && python -m venv /tmp/before-venv &&
/tmp/before-venv/bin/pip install /tmp/before/model-server``. ``--orchestrator``: both builds'
orchestrators in front of one batching node of this checkout instead (ab_instructions.py's
setting); the CPU time is then the orchestrator's alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import servers
from loadgen import require_wrk
from matrix import Target, add_run_flags, check_answers, measure
from train_iris import train

__all__ = ["main"]

CONCURRENCY = (1, 32)


def main(argv: list[str]) -> int:
    """CLI: measure both builds and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other infergraph-server")
    add_run_flags(parser)
    parser.add_argument("--orchestrator", action="store_true",
                        help="compare orchestrators in front of a batching node")  # fmt: skip
    args = parser.parse_args(argv)
    if not os.access(args.baseline, os.X_OK):
        parser.error(f"--baseline {args.baseline}: not an executable")
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="ab-server-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        model = train(work)
        flags = servers.sklearn_flags(model)
        builds = servers.ab_builds(work, flags, args.baseline, args.orchestrator, stack)
        routes = servers.AB_ROUTES[args.orchestrator]
        procs = {name: launch.proc for name, launch in builds.items()}
        for proc in procs.values():
            stack.enter_context(proc)
        targets = [
            Target(f"{build} {protocol}", build, f"{launch.url}{path}", body)
            for protocol, path, body in routes
            for build, launch in builds.items()
        ]
        check_answers(targets, servers.probabilities, servers.iris_expected(model))
        print(f"ab_server: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at "
              f"start, {args.seconds}s runs, best of {args.rounds}")  # fmt: skip
        cells = measure(targets, procs, CONCURRENCY, args.seconds, args.rounds)
    for protocol, _, _ in routes:
        for c in CONCURRENCY:
            this, base = cells[(f"this {protocol}", c)], cells[(f"baseline {protocol}", c)]
            a, b = this.result, base.result
            print(f"{protocol:6} c={c:<3} req/s {a.rps:8.0f} vs {b.rps:8.0f} "
                  f"(ratio {a.rps / b.rps:.3f}); p50 {a.p50_ms:.3f} vs {b.p50_ms:.3f} ms "
                  f"({a.p50_ms - b.p50_ms:+.3f} ms); server CPU {this.cpu_us:.0f} vs "
                  f"{base.cpu_us:.0f} us/req (ratio {this.cpu_us / base.cpu_us:.3f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
