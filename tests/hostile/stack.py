"""A component server, an orchestrator and a gateway on loopback, chained as `infergraph up`
chains them, each its own `infergraph-server` process with the environment the test gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from e2e_local.up import free_port_block

__all__ = ["Server", "Stack"]

SERVER = Path(sys.executable).parent / "infergraph-server"


@dataclass
class Server:
    """One running server process: its HTTP port, its metrics port (0: none) and its log."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    log: Path

    def rss_bytes(self) -> int:
        """Resident memory of the process now."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no VmRSS for {self.name}")

    def log_text(self) -> str:
        """What the process logged so far."""
        return self.log.read_text(errors="replace")


class Stack:
    """`with Stack(model_dir, workdir, env) as stack:` stack.servers["gateway"] etc."""

    def __init__(self, model_dir: Path, workdir: Path, env: dict[str, str]) -> None:
        self.model_dir = model_dir
        self.workdir = workdir
        self.env = {**os.environ, **env}
        self.servers: dict[str, Server] = {}

    def __enter__(self) -> Stack:
        base = free_port_block(7)
        try:
            self._start("component", base, ["component", "--name", "iris", "--implementation",
                        "SKLEARN_SERVER", "--model-uri", str(self.model_dir)])  # fmt: skip
            node = {"name": "iris", "type": "MODEL", "implementation": "SKLEARN_SERVER",
                    "image": None, "host": "127.0.0.1", "httpPort": base, "grpcPort": base + 1,
                    "protocol": "seldon", "readinessPath": "/v2/health/ready", "fallback": False,
                    "timeoutMs": 10000, "retries": 0, "logger": None, "children": []}  # fmt: skip
            graph = {"graph": "hostile", "predictor": "main", "protocol": "seldon",
                     "transport": "rest", "maxConcurrency": 64, "maxBodyBytes": 10485760,
                     "probePeriodMs": 500, "logging": None, "root": node}  # fmt: skip
            graph_file = self.workdir / "main.graph.json"
            graph_file.write_text(json.dumps(graph))
            self._start("orchestrator", base + 3, ["orchestrator", "--graph", str(graph_file)])
            upstream = {"name": "main", "host": "127.0.0.1", "port": base + 3, "traffic": 100,
                        "shadow": False, "mirrorPercent": None}  # fmt: skip
            config = self.workdir / "gateway.json"
            config.write_text(json.dumps({"predictors": [upstream]}))
            self._start("gateway", base + 6, ["gateway", "--config", str(config)], grpc=False)
            for server in self.servers.values():
                self._wait_ready(server)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start(self, name: str, port: int, args: list[str], grpc: bool = True) -> None:
        ports = ["--http-port", str(port)]
        if grpc:
            ports += ["--grpc-port", str(port + 1), "--metrics-port", str(port + 2)]
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(SERVER), *args, "--host", "127.0.0.1", "--grace-seconds", "1", *ports],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.servers[name] = Server(name, proc, port, port + 2 if grpc else 0, log)

    @staticmethod
    def _wait_ready(server: Server) -> None:
        deadline = time.monotonic() + 60
        url = f"http://127.0.0.1:{server.port}/v2/health/ready"
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if server.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{server.name} did not become ready:\n{server.log_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM to every server, in reverse start order; SIGKILL after 15 s."""
        for server in reversed(self.servers.values()):
            if server.proc.poll() is None:
                server.proc.send_signal(signal.SIGTERM)
        for server in reversed(self.servers.values()):
            try:
                server.proc.wait(15)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait()
