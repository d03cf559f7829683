"""What the orchestrator adds: latency and throughput through it against straight to the nodes.

- Single-model graph: p50/p99 at c=1 through the orchestrator minus straight to the node, and
  req/s at c=32 through it as a fraction of direct (both share the machine's 2 cores, so the
  orchestrator's own CPU shows up here, as it would on one node of a cluster); once with the
  orchestrator calling the node over REST, once over gRPC (the runtime graph's transport).
- Tracing on: the REST single-model orchestrator again with the OTEL_* environment the
  compiler writes for `spec.tracing` (every request sampled, spans exported over OTLP/HTTP to a
  sink on loopback); its p50 and req/s against the untraced one show what a span per request
  and per node costs. The untraced rows are the figures tracing must leave unchanged.
- Payload logging on: the REST single-model orchestrator again with its node's `logger: {mode:
  all}` (two CloudEvents per request, the compiler's default queue and senders), once to a
  receiver on loopback that takes every event, once to a receiver that is down (every event
  refused, retried, then dropped and counted). Against the plain REST row they show what
  logging costs the request path and that a stopped sink does not slow predictions; the plain
  row, whose graph has no logging, is the figure logging off must leave unchanged (no
  `PayloadLog` is built, the executor does one None check).
- 3-model AVERAGE_COMBINER graph: p50 at c=1 through the orchestrator minus the slowest of the
  three models asked directly (the fan-out, the /aggregate call and the hops are the cost;
  on 2 cores the three children and the orchestrator also queue for CPU).

Every server is an ``infergraph-server`` process on loopback; the runtime graph files are
written here in the compiled format (docs/contract.md), one component server per node.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import servers
from harness import ServerProcess
from loadgen import require_wrk
from loopback import free_port
from matrix import Cell, Target, add_run_flags, check_answers, measure
from train_iris import train

from infergraph import defaults

__all__ = ["build", "main", "report"]

PREDICT = "/api/v1.0/predictions"
CHILDREN = ("model-a", "model-b", "model-c")


SINGLE = {"rest": "orchestrator (rest->node)", "grpc": "orchestrator (grpc->node)"}
TRACED = "orchestrator traced (rest)"
LOGGED = {"up": "orchestrator logged (rest)", "down": "logged, receiver down"}
FAN = "orchestrator combiner"


def traced_env(endpoint: str) -> dict[str, str]:
    """The OTEL_* environment `spec.tracing` compiles to, every request sampled."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": "bench-single",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
        "OTEL_PROPAGATORS": "b3multi,tracecontext,baggage",
    }


def write_logged_graph(path: Path, root: dict[str, Any], receiver: str) -> Path:
    """The single-model runtime graph with every payload of its node sent to `receiver`, with
    the logging settings the compiler writes by default, written to `path`; the path."""
    node = {**root, "logger": {"mode": "all", "url": receiver}}
    logging = {
        "sampleRate": defaults.LOG_SAMPLE_RATE,
        "queueSize": defaults.LOG_QUEUE_SIZE,
        "senders": defaults.LOG_SENDERS,
        "retries": defaults.LOG_RETRIES,
        "backoffMs": defaults.LOG_BACKOFF_MS,
        "timeoutMs": defaults.LOG_TIMEOUT_MS,
        "source": "http://bench-logged:9000/",
    }
    return servers.write_runtime_graph(path, node, logging=logging)


def report(cells: dict[tuple[str, int], Cell]) -> str:
    """The figures per target, then the orchestrator's added cost."""
    lines = [f"{'target':<27}{'c':>4}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"]
    for (label, c), cell in cells.items():
        r = cell.result
        lines.append(f"{label:<27}{c:>4}{r.rps:>9.0f}{r.p50_ms:>9.3f}{r.p99_ms:>9.3f}")
    lines.append("")
    direct, direct32 = cells[("node direct", 1)].result, cells[("node direct", 32)].result
    for transport, label in SINGLE.items():
        through, through32 = cells[(label, 1)].result, cells[(label, 32)].result
        lines.append(
            f"single model, {transport} to node: added p50 {through.p50_ms - direct.p50_ms:.3f} ms,"
            f" added p99 {through.p99_ms - direct.p99_ms:.3f} ms (c=1);"
            f" req/s through / direct {through32.rps / direct32.rps:.2f} (c=32)"
        )
    plain, plain32 = cells[(SINGLE["rest"], 1)].result, cells[(SINGLE["rest"], 32)].result
    switched_on = {  # label: (what is on, the ratio's name)
        TRACED: ("tracing on (all sampled, OTLP/HTTP)", "traced / untraced"),
        **{
            label: (f"payload logging on (mode all, receiver {state})", "logged / not logged")
            for state, label in LOGGED.items()
        },
    }
    for label, (feature, ratio) in switched_on.items():
        on, on32 = cells[(label, 1)].result, cells[(label, 32)].result
        lines.append(
            f"{feature}: added p50 {on.p50_ms - plain.p50_ms:.3f} ms (c=1);"
            f" req/s {ratio} {on32.rps / plain32.rps:.2f} (c=32)"
        )
    slowest = max(cells[(f"{child} direct", 1)].result.p50_ms for child in CHILDREN)
    combined = cells[(FAN, 1)].result.p50_ms
    lines.append(
        f"3-model combiner: added p50 over the slowest child {combined - slowest:.3f} ms"
        f" ({combined:.3f} - {slowest:.3f}, c=1)"
    )
    return "\n".join(lines)


def build(
    work: Path, model: Path, otlp: str
) -> tuple[dict[str, servers.Launch], list[Target], list[Target]]:
    """Launches (not started) of every server, the single-model and the combiner targets;
    the traced orchestrator exports to `otlp`, the logged one sends its events there too (the
    sink answers 200 to any POST) and to a port nobody listens on."""
    flags = servers.sklearn_flags(model)
    node = servers.our_component(work, flags, name="clf")
    kids = {name: servers.our_component(work, flags, name=name) for name in CHILDREN}
    combiner_flags = ["--type", "COMBINER", "--implementation", "AVERAGE_COMBINER"]
    combiner = servers.our_component(work, combiner_flags, name="average")
    launches = {"node": node, **kids, "combiner": combiner}
    body = servers.SELDON_BODY
    single_targets = [Target("node direct", "node", f"{node.url}{PREDICT}", body)]
    single_root = servers.runtime_node("clf", "MODEL", "SKLEARN_SERVER", node)
    for transport, label in SINGLE.items():
        graph_file = servers.write_runtime_graph(work / f"{transport}.json", single_root, transport)
        launch = servers.orchestrator(graph_file, work)
        launches[label] = launch
        single_targets.append(Target(label, label, f"{launch.url}{PREDICT}", body))
    rest_file = work / "rest.json"
    launches[TRACED] = servers.orchestrator(rest_file, work, env=traced_env(otlp))
    single_targets.append(Target(TRACED, TRACED, f"{launches[TRACED].url}{PREDICT}", body))
    receivers = {"up": f"{otlp}/events", "down": f"http://127.0.0.1:{free_port()}/"}
    for state, label in LOGGED.items():
        log_file = write_logged_graph(work / f"logged-{state}.json", single_root, receivers[state])
        launches[label] = servers.orchestrator(log_file, work)
        single_targets.append(Target(label, label, f"{launches[label].url}{PREDICT}", body))
    kid_nodes = [servers.runtime_node(n, "MODEL", "SKLEARN_SERVER", kids[n]) for n in CHILDREN]
    fan_root = servers.runtime_node("average", "COMBINER", "AVERAGE_COMBINER", combiner, *kid_nodes)
    fan_file = servers.write_runtime_graph(work / "combiner.json", fan_root)
    launches[FAN] = servers.orchestrator(fan_file, work)
    fan_targets = [Target(f"{n} direct", n, f"{kids[n].url}{PREDICT}", body) for n in CHILDREN]
    fan_targets.append(Target(FAN, FAN, f"{launches[FAN].url}{PREDICT}", body))
    return launches, single_targets, fan_targets


def main(argv: list[str]) -> int:
    """CLI: start the nodes and four orchestrators, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_run_flags(parser)
    args = parser.parse_args(argv)
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-orch-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        model = train(work)
        expected = servers.iris_expected(model)
        otlp = stack.enter_context(servers.otlp_sink())
        launches, single, fan = build(work, model, otlp)
        procs: dict[str, ServerProcess] = {name: lx.proc for name, lx in launches.items()}
        for proc in procs.values():
            stack.enter_context(proc)
        check_answers([*single, *fan], servers.probabilities, expected)
        print(f"bench_orchestrator: {args.seconds}s runs, best of {args.rounds}, wrk 1 thread")
        cells = measure(single, procs, (1, 32), args.seconds, args.rounds)
        cells |= measure(fan, procs, (1,), args.seconds, args.rounds)
        print(report(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
