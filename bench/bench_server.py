"""Component server vs seldon-core 1.17.1 vs MLServer 1.7.1: req/s, p50, p99, peak RSS.

Same machine, same run, same wrk load, same iris LogisticRegression (predict_proba, one row
of 4 features). Each peer is compared in its own protocol: ours over the Seldon protocol
against seldon-core-microservice, ours over V2 against MLServer. All servers are up at once
and runs are interleaved (see matrix.py), best of ``--rounds`` per cell.

Worker settings for this 2-core machine (wrk shares it), each server's best as measured
here: ours 1 worker (2 workers: lower req/s at every concurrency and 2.4x the memory);
seldon-core 2 gunicorn workers (sync, as its docs configure through GUNICORN_WORKERS);
MLServer ``parallel_workers=0`` (inference in the server process: ~1.2k req/s at c=32
against ~0.7k with 1 or 2 pool workers, whose IPC costs more than the ~0.2 ms model call).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import servers
from harness import ServerProcess
from loadgen import require_wrk
from matrix import Cell, Target, add_run_flags, check_answers, measure
from train_iris import train

__all__ = ["main", "report", "start_servers"]

CONCURRENCY = (1, 8, 32)
MIB = 1 << 20
OURS_SELDON, OURS_V2 = "infergraph seldon", "infergraph v2"
SELDON, MLSERVER = "seldon-core 1.17.1", "mlserver 1.7.1"
PAIRS = ((OURS_SELDON, SELDON), (OURS_V2, MLSERVER))


def start_servers(
    args: argparse.Namespace, model: Path, work: Path
) -> tuple[dict[str, ServerProcess], list[Target]]:
    """The three servers (not yet started) and the four targets on them."""
    ours = servers.our_component(work, servers.sklearn_flags(model), workers=args.our_workers)
    seldon = servers.seldon_core(
        work, parameters=servers.seldon_iris_parameters(model), workers=args.seldon_workers
    )
    mls = servers.mlserver(model, args.mlserver_workers, work)
    procs = {"infergraph": ours.proc, "seldon-core": seldon.proc, "mlserver": mls.proc}
    targets = [
        Target(OURS_SELDON, "infergraph", f"{ours.url}/api/v1.0/predictions", servers.SELDON_BODY),
        Target(SELDON, "seldon-core", f"{seldon.url}/api/v1.0/predictions", servers.SELDON_BODY),
        Target(OURS_V2, "infergraph", f"{ours.url}/v2/models/iris/infer", servers.V2_BODY),
        Target(MLSERVER, "mlserver", f"{mls.url}/v2/models/iris/infer", servers.MLSERVER_V2_BODY),
    ]
    return procs, targets


def report(
    targets: list[Target], procs: dict[str, ServerProcess], cells: dict[tuple[str, int], Cell]
) -> str:
    """The table of figures, idle memory, then our ratios against each peer."""
    head = f"{'server':<20}{'c':>4}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'peak MiB':>10}"
    lines = [head + f"{'wrk cpu':>9}"]
    for target in targets:
        for c in CONCURRENCY:
            cell = cells[(target.label, c)]
            r = cell.result
            lines.append(
                f"{target.label:<20}{c:>4}{r.rps:>9.0f}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}"
                f"{cell.peak_rss / MIB:>10.0f}{r.generator_cpu:>9.0%}"
            )
    idle = ", ".join(f"{name} {p.idle_rss / MIB:.0f}" for name, p in procs.items())
    lines += ["", f"idle RSS MiB: {idle}", ""]
    lines.append(
        "ratios ours / peer (req/s: higher is better; p50, p99, peak RSS: lower is better)"
    )
    lines.append(f"{'':<38}{'c':>4}{'req/s':>8}{'p50':>7}{'p99':>7}{'RSS':>7}")
    for ours, peer in PAIRS:
        for c in CONCURRENCY:
            a, b = cells[(ours, c)], cells[(peer, c)]
            lines.append(
                f"{ours + ' / ' + peer:<38}{c:>4}{a.result.rps / b.result.rps:>8.2f}"
                f"{a.result.p50_ms / b.result.p50_ms:>7.2f}"
                f"{a.result.p99_ms / b.result.p99_ms:>7.2f}{a.peak_rss / b.peak_rss:>7.2f}"
            )
    idle_ratio = procs["infergraph"].idle_rss / procs["mlserver"].idle_rss
    lines.append(f"idle RSS infergraph / mlserver: {idle_ratio:.2f}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """CLI: run the matrix and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_run_flags(parser)
    parser.add_argument("--our-workers", type=int, default=1)
    parser.add_argument("--seldon-workers", type=int, default=2)
    parser.add_argument("--mlserver-workers", type=int, default=0)
    args = parser.parse_args(argv)
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        model = train(work)
        expected = servers.iris_expected(model)
        procs, targets = start_servers(args, model, work)
        for proc in procs.values():
            stack.enter_context(proc)
        check_answers(targets, servers.probabilities, expected)
        load = os.getloadavg()[0]
        print(f"bench_server: {os.cpu_count()} cores, load average {load:.2f} at start, "
              f"{args.seconds:g}s runs, best of {args.rounds}, wrk 1 thread")  # fmt: skip
        cells = measure(targets, procs, CONCURRENCY, args.seconds, args.rounds)
        print(report(targets, procs, cells))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
