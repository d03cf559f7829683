"""This checkout's component server against another build of it, counted in instructions.

``python bench/ab_instructions.py --baseline VENV/bin/infergraph-server`` runs both under
valgrind's callgrind with the same iris model and sends each the same sequential requests,
Seldon REST and V2 REST over one keep-alive connection, and prints the instructions each
spends per request and their ratio. Wall-clock A/B (ab_server.py) needs a quiet machine to
resolve a few percent; instruction counts do not care what else runs, so a change's budget
("costs at most 2%") can be checked on a shared one. Not part of ``make bench``: it needs
valgrind and a second build, and a run takes minutes (the servers run ~50x slower).

``--batching this`` serves this checkout with ``--max-batch-size 32 --max-batch-latency-ms 2``
and the baseline without: with ``--baseline .venv/bin/infergraph-server`` it prints what
batching costs a request that finds the server idle (sequential requests never queue).
``--orchestrator`` counts the orchestrator instead: each build's orchestrator (1 worker) under
callgrind in front of the same batching iris node of this checkout (2 workers, not counted),
the graph bench_batching.py measures; Seldon REST and V2 REST on the orchestrator.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import servers
from harness import ServerProcess
from train_iris import train

__all__ = ["main"]

WARM_UP = 50
_TOTALS = re.compile(rb"^(?:totals|summary): (\d+)", re.MULTILINE)


def _under_callgrind(proc: ServerProcess, out: Path) -> ServerProcess:
    """The same server started under callgrind, given the time its start-up takes there."""
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *proc.argv]
    return ServerProcess(proc.name, argv, proc.ready_url, log_path=proc.log_path,
                         start_timeout=900.0)  # fmt: skip


def _send(port: int, path: str, body: bytes, count: int) -> None:
    """`count` requests, one after the other, on one connection; each must answer 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        for _ in range(count):
            connection.request("POST", path, body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: answered {response.status}")
    finally:
        connection.close()


def _instructions(pid: int, out: Path) -> int:
    """Instructions the server has run since its last dump: dump now and read the totals."""
    before = set(out.parent.glob(f"{out.name}.*"))
    subprocess.run(["callgrind_control", "--dump", str(pid)], check=True, capture_output=True)
    (dump,) = set(out.parent.glob(f"{out.name}.*")) - before
    found = _TOTALS.search(dump.read_bytes())
    if found is None:
        raise SystemExit(f"{dump}: no totals line")
    return int(found.group(1))


def main(argv: list[str]) -> int:
    """CLI: count both builds and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the other infergraph-server")
    parser.add_argument("--requests", type=int, default=300, help="counted requests per route")
    parser.add_argument("--batching", choices=("none", "this"), default="none",
                        help="this: this checkout batches, the baseline does not")  # fmt: skip
    parser.add_argument("--orchestrator", action="store_true",
                        help="count the orchestrator in front of a batching node")  # fmt: skip
    args = parser.parse_args(argv)
    if not os.access(args.baseline, os.X_OK):
        parser.error(f"--baseline {args.baseline}: not an executable")
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is needed: apt-get install -y valgrind")
    routes = servers.AB_ROUTES[args.orchestrator]
    counts: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory(prefix="ab-instructions-") as tmp, ExitStack() as node:
        work = Path(tmp)
        flags = servers.sklearn_flags(train(work))
        builds = servers.ab_builds(
            work, flags, args.baseline, args.orchestrator, node, batching=args.batching == "this"
        )
        for build, launch in builds.items():
            out = work / f"{build}.callgrind"
            with ExitStack() as stack:
                proc = stack.enter_context(_under_callgrind(launch.proc, out))
                for protocol, path, body in routes:
                    _send(launch.http_port, path, body, WARM_UP)
                    _instructions(proc.pid, out)
                    _send(launch.http_port, path, body, args.requests)
                    counts[(build, protocol)] = _instructions(proc.pid, out) / args.requests
    served = "orchestrator" if args.orchestrator else "component server"
    batching = ", this checkout batching" if args.batching == "this" else ""
    print(f"ab_instructions: {served}, {args.requests} sequential requests per route, keep-alive"
          + batching)  # fmt: skip
    for protocol, _, _ in routes:
        this, base = counts[("this", protocol)], counts[("baseline", protocol)]
        print(f"{protocol:6} instructions/request {this:10.0f} vs {base:10.0f} "
              f"(ratio {this / base:.4f}, {100 * (this / base - 1):+.2f}%)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
