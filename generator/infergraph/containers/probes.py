"""Kubelet probes and hooks: when each is due, what its results mean, and how each one runs.

httpGet and tcpSocket actions run inside the pod's network namespace, so nothing on the host
ever addresses a container's private IP: the pod's holder (our image) runs `AGENT_SCRIPT`,
which answers probe requests on a Unix socket in a directory of the run bind-mounted into it
(one connect and one line each way: no process is started per probe). exec actions run in the
container itself.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import Literal

from .model import Handler, Probe

__all__ = ["AGENT_SCRIPT", "ProbeState", "Verdict", "ask_agent"]

Verdict = Literal["passed", "failed"] | None

#: The holder's process: keeps the pod's network namespace and probes inside it.
#: argv[1] is the socket path; each request line is JSON [action, port, path, timeout, headers],
#: each answer line "1" (success: connected, or HTTP 200-399) or "0". SIGTERM ends it at once.
AGENT_SCRIPT = """\
import http.client, json, os, signal, socket, sys, threading
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
def check(action, port, path, timeout, headers):
    try:
        if action == "tcp":
            socket.create_connection(("127.0.0.1", port), timeout).close()
            return True
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path, headers=dict(headers))
        status = conn.getresponse().status
        conn.close()
        return 200 <= status < 400
    except OSError:
        return False
def serve(conn):
    with conn, conn.makefile("rwb") as stream:
        for line in stream:
            stream.write(b"1\\n" if check(*json.loads(line)) else b"0\\n")
            stream.flush()
path = sys.argv[1]
if os.path.exists(path):
    os.unlink(path)
server = socket.socket(socket.AF_UNIX)
server.bind(path)
server.listen(64)
while True:
    threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()
"""


def ask_agent(path: str, handler: Handler, timeout: float) -> bool:
    """Run an http or tcp action through the agent listening on `path`; True on success."""
    request = [
        handler.action,
        handler.port,
        handler.path,
        timeout,
        [list(h) for h in handler.headers],
    ]
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(timeout + 2)
            conn.connect(path)
            conn.sendall(json.dumps(request).encode() + b"\n")
            answer = conn.makefile("rb").readline()
    except OSError:
        return False
    return answer.strip() == b"1"


@dataclass
class ProbeState:
    """Counts consecutive results of one probe; `due` says when it runs next."""

    probe: Probe
    due: float
    successes: int = 0
    failures: int = 0

    @classmethod
    def starting(cls, probe: Probe, now: float) -> ProbeState:
        """A probe of a container that started at `now`: first run after the initial delay."""
        return cls(probe, now + probe.initial_delay)

    def record(self, ok: bool, now: float) -> Verdict:
        """Count one result; "passed" or "failed" once a threshold is reached, else None."""
        self.due = now + self.probe.period
        if ok:
            self.failures = 0
            self.successes += 1
            return "passed" if self.successes >= self.probe.success_threshold else None
        self.successes = 0
        self.failures += 1
        return "failed" if self.failures >= self.probe.failure_threshold else None
