"""Adaptive batching: our component server with and without it, against MLServer 1.7.1 with
its adaptive batching on and off, and seldon-core 1.17.1 (which has none), c = 1, 8, 32, 64.

Same iris predict_proba model, one row per request, wrk closed loop; all servers up at once,
runs interleaved (matrix.py). Batching limits alike: ours ``--max-batch-size 32
--max-batch-latency-ms 2``, MLServer ``max_batch_size 32, max_batch_time 0.002``. Our servers
run 2 workers, seldon-core 2 gunicorn workers, MLServer infers in its server process
(``parallel_workers 0``, its fastest here, see bench_server.py). The orchestrator row puts
our orchestrator (1 worker) in front of the batching node.

Those rows share the machine's cores between wrk, the orchestrator and the node, so the
orchestrator's CPU is taken from the node's. In a cluster the orchestrator is a pod with CPU
of its own: the "pinned" rows run a second batching node on one CPU and an orchestrator in
front of it on another, wrk on the node's CPU, and the direct run the same way (the same node
on the same single CPU, wrk beside it), so the two differ only by the orchestrator on a core
of its own. Each row also shows the server's CPU time per request (its whole process tree:
the orchestrator's own, for the orchestrator rows). Other work on the machine is not pinned
away: it still shares both cores.
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

__all__ = ["main"]

CONCURRENCY = (1, 8, 32, 64)
LIMITS = servers.BATCH_LIMITS  # rows, milliseconds
OFF, ON = "infergraph v2", "infergraph v2 batching"
ML_OFF, ML_ON = "mlserver 1.7.1", "mlserver 1.7.1 batching"
SELDON, OURS_SELDON = "seldon-core 1.17.1", "infergraph seldon batching"
ORCH = "orchestrator > batching"
PINNED_SELDON, PINNED_ORCH = "pinned: seldon batching", "pinned: orchestrator > it"
RATIOS = ((ON, OFF), (ON, ML_ON), (ON, ML_OFF), (OURS_SELDON, SELDON), (ORCH, OURS_SELDON))
PINNED_RATIO = (PINNED_ORCH, PINNED_SELDON)


def pinned_cpus() -> tuple[frozenset[int], frozenset[int]] | None:
    """(the node's CPU, the orchestrator's CPU) for the pinned rows; None with fewer than two."""
    cpus = sorted(os.sched_getaffinity(0))
    return (frozenset(cpus[:1]), frozenset(cpus[1:2])) if len(cpus) >= 2 else None


def start(
    args: argparse.Namespace, model: Path, work: Path
) -> tuple[dict[str, ServerProcess], list[Target]]:
    """Every server (not yet started) and the targets on them."""
    flags = servers.sklearn_flags(model)
    batch = servers.batch_flags(LIMITS)
    off = servers.our_component(work, flags, workers=args.our_workers)
    on = servers.our_component(work, [*flags, *batch], name="iris", workers=args.our_workers)
    root = servers.runtime_node("iris", "MODEL", "SKLEARN_SERVER", on)
    orch = servers.orchestrator(servers.write_runtime_graph(work / "graph.json", root), work)
    seldon = servers.seldon_core(work, parameters=servers.seldon_iris_parameters(model), workers=2)
    ml_off = servers.mlserver(model, 0, work)
    ml_on = servers.mlserver(model, 0, work, batching=(LIMITS[0], LIMITS[1] / 1000))
    launches = {
        "off": off,
        "on": on,
        "orch": orch,
        "seldon": seldon,
        "ml-off": ml_off,
        "ml-on": ml_on,
    }
    seldon_path, v2_path = "/api/v1.0/predictions", "/v2/models/iris/infer"
    targets = [
        Target(OFF, "off", off.url + v2_path, servers.V2_BODY),
        Target(ON, "on", on.url + v2_path, servers.V2_BODY),
        Target(ML_OFF, "ml-off", ml_off.url + v2_path, servers.MLSERVER_V2_BODY),
        Target(ML_ON, "ml-on", ml_on.url + v2_path, servers.MLSERVER_V2_BODY),
        Target(SELDON, "seldon", seldon.url + seldon_path, servers.SELDON_BODY),
        Target(OURS_SELDON, "on", on.url + seldon_path, servers.SELDON_BODY),
        Target(ORCH, "orch", orch.url + seldon_path, servers.SELDON_BODY),
    ]
    cpus = pinned_cpus()
    if cpus is not None:
        node_cpu, orch_cpu = cpus
        pinned = work / "pinned"
        pinned.mkdir()
        node = servers.our_component(pinned, [*flags, *batch], name="iris",
                                     workers=args.our_workers, cpus=node_cpu)  # fmt: skip
        root = servers.runtime_node("iris", "MODEL", "SKLEARN_SERVER", node)
        graph = servers.write_runtime_graph(pinned / "graph.json", root)
        front = servers.orchestrator(graph, pinned, cpus=orch_cpu)
        launches |= {"pinned-node": node, "pinned-orch": front}
        targets += [
            Target(PINNED_SELDON, "pinned-node", node.url + seldon_path, servers.SELDON_BODY,
                   node_cpu),
            Target(PINNED_ORCH, "pinned-orch", front.url + seldon_path, servers.SELDON_BODY,
                   node_cpu),
        ]  # fmt: skip
    return {name: launch.proc for name, launch in launches.items()}, targets


def report(targets: list[Target], cells: dict[tuple[str, int], Cell]) -> str:
    """Figures per target and concurrency, then the ratios that batching is judged by."""
    lines = [
        f"{'server':<28}{'c':>4}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'wrk cpu':>9}"
        f"{'cpu us/req':>11}"
    ]
    for target in targets:
        for c in CONCURRENCY:
            cell = cells[(target.label, c)]
            r = cell.result
            lines.append(
                f"{target.label:<28}{c:>4}{r.rps:>9.0f}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}"
                f"{r.generator_cpu:>9.0%}{cell.cpu_us:>11.0f}"
            )
    pinned = PINNED_ORCH in {t.label for t in targets}
    ratios = (*RATIOS, PINNED_RATIO) if pinned else RATIOS
    lines += ["", f"{'ratio (req/s; p50 a - b in ms)':<58}{'c':>4}{'req/s':>8}{'p50 diff':>10}"]
    for a, b in ratios:
        for c in CONCURRENCY:
            x, y = cells[(a, c)].result, cells[(b, c)].result
            lines.append(
                f"{a + ' / ' + b:<58}{c:>4}{x.rps / y.rps:>8.2f}{x.p50_ms - y.p50_ms:>+10.3f}"
            )
    lines += ["", "orchestrator in front / direct, req/s, and the orchestrator's CPU us/request"]
    for label, (a, b) in (("shared cores", (ORCH, OURS_SELDON)), ("pinned", PINNED_RATIO)):
        if a == PINNED_ORCH and not pinned:
            lines.append(f"{label:<14}not run: fewer than 2 CPUs to pin to")
            continue
        for c in CONCURRENCY:
            x, y = cells[(a, c)], cells[(b, c)]
            lines.append(
                f"{label:<14}c={c:<4}{x.result.rps / y.result.rps:>6.2f}{x.cpu_us:>8.0f} us"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """CLI: run the matrix and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_run_flags(parser)
    parser.add_argument("--our-workers", type=int, default=2)
    args = parser.parse_args(argv)
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-batching-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        model = train(work)
        procs, targets = start(args, model, work)
        for proc in procs.values():
            stack.enter_context(proc)
        check_answers(targets, servers.probabilities, servers.iris_expected(model))
        print(f"bench_batching: {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.2f} at start, {args.seconds:g}s runs, best of "
              f"{args.rounds}, wrk 1 thread")  # fmt: skip
        cells = measure(targets, procs, CONCURRENCY, args.seconds, args.rounds)
        print(report(targets, cells))
        print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
