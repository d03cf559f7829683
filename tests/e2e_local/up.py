"""Run `infergraph up` as a real process for the local end-to-end tests.

`Up` starts the CLI of this venv in its own process group, waits for the banner, parses the
process table from it, and on exit sends SIGTERM and checks that every child it listed is gone.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from loopback import free_port_block

__all__ = ["EXAMPLES", "Up", "gone", "post"]

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
_ROW = re.compile(
    r"^  (logsink|node \S+|orchestrator \S+|detector \S+|gateway)"
    r"\s+http :(\d+)(?:  grpc :(\d+))?\s+pid (\d+)$"
)


def gone(pid: int) -> bool:
    """True when no process `pid` exists any more (zombies of other parents count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z")


def post(conn: http.client.HTTPConnection, path: str, doc: Any) -> tuple[int, dict[str, str], Any]:
    """POST JSON on a keep-alive connection; (status, lower-case headers, decoded body)."""
    conn.request("POST", path, json.dumps(doc), {"Content-Type": "application/json"})
    answer = conn.getresponse()
    body = answer.read()
    headers = {k.lower(): v for k, v in answer.getheaders()}
    return answer.status, headers, json.loads(body)


class Up:
    """`with Up(example, workdir) as up:` — a running graph; `up.ports` / `up.pids` by name."""

    def __init__(
        self,
        example: str,
        workdir: Path,
        seed: int | None = None,
        volumes: str | None = None,
        args: Sequence[str] = (),
        ready_timeout: float = 90,
        stop_timeout: float = 30,
    ) -> None:
        """`example` is a file name in examples/ or an absolute path; `args` go to `up`."""
        self.port = free_port_block()
        self.log = workdir / f"up-{Path(example).name}-{self.port}.log"
        command = [
            str(Path(sys.executable).parent / "infergraph"),
            "up",
            str(EXAMPLES / example),
            "--port",
            str(self.port),
        ]
        if seed is not None:
            command += ["--seed", str(seed)]
        if volumes is not None:
            command += ["--volumes", volumes]
        command += args
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.ports: dict[str, int] = {}
        self.grpc_ports: dict[str, int] = {}
        self.pids: dict[str, int] = {}
        self.connections: list[http.client.HTTPConnection] = []

    def __enter__(self) -> Up:
        deadline = time.monotonic() + self.ready_timeout
        while "Ctrl-C stops everything." not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"infergraph up did not come up:\n{self.text()}")
            time.sleep(0.1)
        for line in self.text().splitlines():
            if row := _ROW.match(line):
                self.ports[row[1]] = int(row[2])
                if row[3] is not None:
                    self.grpc_ports[row[1]] = int(row[3])
                self.pids[row[1]] = int(row[4])
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for conn in self.connections:
            conn.close()
        code = self.stop()
        if kind is None:
            assert code == 0, self.text()
            assert self.orphans() == [], self.text()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def connection(self, name: str = "gateway") -> http.client.HTTPConnection:
        """A keep-alive connection to the gateway or to the named process; closed on exit."""
        port = self.port if name == "gateway" else self.ports[name]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connections.append(conn)
        return conn

    def stop(self) -> int:
        """SIGTERM to `infergraph up` only (as a service manager would) and its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise

    def orphans(self) -> list[int]:
        """Children listed in the banner (or restarted since) that still exist."""
        pids = set(self.pids.values())
        pids.update(int(p) for p in re.findall(r"restarted as pid (\d+)", self.text()))
        return sorted(p for p in pids if not gone(p))
