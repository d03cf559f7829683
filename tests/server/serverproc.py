"""Start `infergraph-server component` or `orchestrator` as a subprocess on free loopback ports.

with start_component(["--implementation", "SKLEARN_SERVER", "--model-uri", d]) as srv:
    srv.url("/predict"), srv.grpc_target, srv.metrics_url
with start_orchestrator(write_graph(tmp / "g.json", {"iris": srv})) as orch: ...
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from loopback import free_port
from runtime_graph import sklearn_node, write_graph_doc

__all__ = [
    "ComponentProcess",
    "is_ready",
    "start_component",
    "start_orchestrator",
    "start_server",
    "write_graph",
]

SERVER = Path(sys.executable).parent / "infergraph-server"


@dataclass
class ComponentProcess:
    """A running component server and where to reach it."""

    proc: subprocess.Popen[bytes]
    http_port: int
    grpc_port: int
    metrics_port: int

    def url(self, path: str) -> str:
        """http://127.0.0.1:<http port><path>"""
        return f"http://127.0.0.1:{self.http_port}{path}"

    @property
    def grpc_target(self) -> str:
        """host:port for grpc channels and tritonclient.grpc."""
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        """The Prometheus endpoint."""
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait for a clean exit, return the exit code (kill on timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def is_ready(port: int) -> bool:
    """True when the server on `port` answers its readiness probe with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def write_graph(
    path: Path,
    node: ComponentProcess,
    name: str = "iris",
    protocol: str = "seldon",
    transport: str = "rest",
    max_body_bytes: int = 10 * 1024 * 1024,
) -> Path:
    """A runtime graph of one SKLEARN_SERVER MODEL node `name` served by `node`; its path."""
    root = sklearn_node(name, node.http_port, node.grpc_port, protocol=protocol)
    return write_graph_doc(
        path, root, protocol, transport=transport, maxBodyBytes=max_body_bytes, probePeriodMs=500
    )


@contextlib.contextmanager
def start_component(
    args: list[str],
    env: dict[str, str] | None = None,
    wait_ready: bool = True,
    timeout: float = 30.0,
    log: IO[bytes] | None = None,
) -> Iterator[ComponentProcess]:
    """Run a component server with `args` (ports are added) until the block ends."""
    with start_server("component", args, env, wait_ready, timeout, log) as server:
        yield server


@contextlib.contextmanager
def start_orchestrator(
    graph: Path,
    args: list[str] | None = None,
    env: dict[str, str] | None = None,
    log: IO[bytes] | None = None,
) -> Iterator[ComponentProcess]:
    """Run an orchestrator of the runtime graph file `graph` until the block ends."""
    with start_server("orchestrator", ["--graph", str(graph), *(args or [])], env, log=log) as srv:
        yield srv


@contextlib.contextmanager
def start_server(
    command: str,
    args: list[str],
    env: dict[str, str] | None = None,
    wait_ready: bool = True,
    timeout: float = 30.0,
    log: IO[bytes] | None = None,
) -> Iterator[ComponentProcess]:
    """Run `infergraph-server COMMAND` with `args` (ports are added); waits for ready. Its
    output goes to `log` when given (read it after the block), else to a file dropped after."""
    ports = [free_port() for _ in range(3)]
    cmd = [str(SERVER), command, "--host", "127.0.0.1", "--grace-seconds", "5", *args]
    for flag, port in zip(("--http-port", "--grpc-port", "--metrics-port"), ports, strict=True):
        cmd += [flag, str(port)]
    full_env = {**os.environ, **(env or {})}
    # a file, not a pipe: a full pipe would block the server
    with contextlib.ExitStack() as stack:
        out_file = log or stack.enter_context(tempfile.TemporaryFile())
        proc = subprocess.Popen(cmd, env=full_env, stdout=out_file, stderr=subprocess.STDOUT)
        server = ComponentProcess(proc, *ports)
        try:
            deadline = time.monotonic() + timeout
            while wait_ready and not is_ready(ports[0]):
                if proc.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    out_file.seek(0)
                    out = out_file.read().decode(errors="replace")
                    raise RuntimeError(
                        f"{command} server did not become ready: {' '.join(cmd)}\n{out}"
                    )
                time.sleep(0.05)
            yield server
        finally:
            server.stop()
