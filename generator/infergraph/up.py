"""`infergraph up`: run a graph on this machine and stop every process it started.

`--runtime containers` hands over to `containers/` (the rendered pods in the local Docker
Engine); what follows is the default runtime, `processes`.

Each process of the plan (local.py) runs the `infergraph-server` console script of this
Python environment in a session of its own, so a terminal's Ctrl-C reaches only `up`, which
then stops the gateway, the orchestrators and the nodes in that order (SIGTERM to each
process group, SIGKILL after a grace period). On Linux children also get SIGTERM if `up`
itself dies. A child that exits after startup is restarted, as a Deployment would.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from .compile import compile_values
from .entry import STOP_SIGNALS
from .local import LOOPBACK, LocalPlan, LocalProcess, plan_local
from .model import Graph
from .render import Engine as RenderEngine
from .runtimes import Runtime

__all__ = ["Stop", "run_up", "server_command"]

PORT_MAX = 65535
READY_TIMEOUT_S = 300.0  # model loading included, many graphs at once on a loaded machine
STOP_GRACE_S = 10.0
RESTART_BACKOFF_S = 1.0


def server_command() -> list[str]:
    """The `infergraph-server` of the running interpreter's environment (never imported)."""
    script = Path(sys.executable).parent / "infergraph-server"
    if script.is_file():
        return [str(script)]
    found = shutil.which("infergraph-server")
    return [found] if found else [sys.executable, "-m", "infergraph_server.cli"]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _Child:
    """One supervised process and its log file."""

    def __init__(self, spec: LocalProcess, command: list[str], env: dict[str, str], log: Path):
        self.spec = spec
        self.command = [*command, *spec.args]
        self.env = {**env, **spec.env}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        self.started = time.monotonic()

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def signal(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)

    def ready(self) -> bool:
        port = self.spec.port
        if self.spec.ready_path is None:
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.5):
                return True
            return False
        url = f"http://{LOOPBACK}:{port}{self.spec.ready_path}"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join("    " + line for line in text)


class Stop:
    """Set by SIGINT/SIGTERM; the supervisor loops check it."""

    def __init__(self) -> None:
        self.requested = False
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._set)

    def _set(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def _stop_all(children: list[_Child]) -> None:
    for child in reversed(children):
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for child in reversed(children):
        if child.proc is None:
            continue
        try:
            child.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.signal(signal.SIGKILL)
            child.proc.wait()


def _wait_ready(children: list[_Child], stop: Stop) -> str | None:
    """None when all are ready; otherwise why not."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    pending = list(children)
    while pending:
        if stop.requested:
            return "stopped before the graph was ready"
        for child in pending:
            code = child.exited()
            if code is not None:
                return f"{child.spec.name} exited with code {code}:\n{child.tail()}"
        pending = [c for c in pending if not c.ready()]
        if time.monotonic() > deadline:
            names = ", ".join(c.spec.name for c in pending)
            return f"not ready after {READY_TIMEOUT_S:.0f} s: {names}"
        if pending:
            time.sleep(0.1)
    return None


def _banner(graph: Graph, plan: LocalPlan, children: list[_Child], rundir: Path) -> str:
    url = f"http://{LOOPBACK}:{plan.port}"
    rows = []
    for c in children:
        grpc = f"  grpc :{c.spec.grpc_port}" if c.spec.grpc_port is not None else ""
        pid = c.proc.pid if c.proc else "-"
        rows.append(f"  {c.spec.name:<28} http :{c.spec.port}{grpc:<13}  pid {pid}")
    curl = (
        f"curl -s -X POST {url}{plan.request_path} -H 'Content-Type: application/json' "
        f"-d {shlex.quote(plan.request_body)}"
    )
    return "\n".join(
        [
            f'infergraph up: graph "{graph.name}" is ready at {url}',
            *rows,
            f"  logs and runtime graphs: {rundir}",
            "",
            "Try:",
            f"  {curl}",
            "",
            "Ctrl-C stops everything.",
        ]
    )


def _port_problem(plan: LocalPlan) -> tuple[int, str] | None:
    """(exit code, one line) when the plan's ports cannot all be ours; None when they can.

    Each port is bound once on loopback as our servers bind it (SO_REUSEADDR, so ports held
    only by closed connections in TIME_WAIT count as free; no SO_REUSEPORT, so a port another
    process listens on, another graph's included, counts as busy).
    """
    listeners = plan.listeners()
    span = f"{listeners[0][0]}-{listeners[-1][0]}"
    if listeners[-1][0] > PORT_MAX:
        return 2, f"--port {plan.port}: this graph needs ports {span}, past {PORT_MAX}; lower it"
    busy = []
    for port, what in listeners:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                busy.append(f"{port} ({what})")
    if not busy:
        return None
    which = f"port {busy[0]} is" if len(busy) == 1 else f"ports {', '.join(busy)} are"
    return 1, f"{which} in use; this graph needs ports {span}: choose another --port"


def _supervise(children: list[_Child], stop: Stop) -> None:
    while not stop.requested:
        time.sleep(0.2)
        for child in children:
            code = child.exited()
            if code is not None and time.monotonic() - child.started >= RESTART_BACKOFF_S:
                child.start()
                pid = child.proc.pid if child.proc else "-"
                print(
                    f"infergraph up: {child.spec.name} exited with code {code}; "
                    f"restarted as pid {pid}",
                    file=sys.stderr,
                    flush=True,
                )


def run_up(
    graph: Graph,
    port: int = 8080,
    volumes: str = "build/volumes",
    seed: int | None = None,
    runtime: Runtime = "processes",
    engine: RenderEngine = "helm",
) -> int:
    """Start the graph, print how to call it, run until SIGINT/SIGTERM; the exit code.

    `seed` makes the gateway's traffic split reproducible (it reads `INFERGRAPH_SEED`).
    `runtime` "containers" runs the objects rendered by `engine` in the local Docker Engine.
    """
    if runtime == "containers":
        from .containers.run import run_containers

        return run_containers(
            compile_values(graph),
            graph.source,
            port=port,
            volumes_dir=str(Path(volumes).resolve()),
            seed=seed,
            render_engine=engine,
        )
    plan_dir = tempfile.mkdtemp(prefix=f"infergraph-up-{graph.name}-")
    rundir = Path(plan_dir)
    base = os.getcwd()
    plan = plan_local(graph, compile_values(graph), port, plan_dir, base, volumes)
    problem = _port_problem(plan)
    if problem is not None:
        shutil.rmtree(rundir, ignore_errors=True)
        print(f"infergraph up: {problem[1]}", file=sys.stderr, flush=True)
        return problem[0]
    for name, text in plan.files.items():
        (rundir / name).write_text(text)
    source_dir = Path(graph.source).resolve().parent
    python_path = [str(source_dir), str(source_dir / "custom"), os.environ.get("PYTHONPATH", "")]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in python_path if p),
        "PYTHONUNBUFFERED": "1",
        "INFERGRAPH_GRACE_SECONDS": "2",
    }
    if seed is not None:
        env["INFERGRAPH_SEED"] = str(seed)
    command = server_command()
    children = [
        _Child(p, command, env, rundir / f"{p.name.replace('/', '-').replace(' ', '-')}.log")
        for p in plan.processes
    ]
    stop = Stop()
    failure: str | None = None
    try:
        for child in children:
            child.start()
        failure = _wait_ready(children, stop)
        if failure is None:
            print(_banner(graph, plan, children, rundir), flush=True)
            _supervise(children, stop)
    finally:
        _stop_all(children)
    if failure is not None and not stop.requested:
        print(f"infergraph up: {failure}\n  logs: {rundir}", file=sys.stderr, flush=True)
        return 1
    shutil.rmtree(rundir, ignore_errors=True)
    print("infergraph up: stopped", flush=True)
    return 0
