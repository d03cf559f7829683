"""Kubelet probes and hooks: when each is due, what its results mean, and how each one runs.

httpGet and tcpSocket actions run inside the pod's network namespace (a short Python script
exec'd in the holder, which is our image), so nothing on the host ever addresses a container's
private IP; exec actions run in the container itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from .model import Handler, Probe

__all__ = ["PROBE_SCRIPT", "ProbeState", "Verdict", "handler_command"]

Verdict = Literal["passed", "failed"] | None

#: argv: action port path timeout headers-json; exit 0 when the probe succeeds.
PROBE_SCRIPT = """\
import http.client, json, socket, sys
action, port, path, timeout, headers = sys.argv[1:6]
try:
    if action == "tcp":
        socket.create_connection(("127.0.0.1", int(port)), float(timeout)).close()
        sys.exit(0)
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=float(timeout))
    conn.request("GET", path, headers=dict(json.loads(headers)))
    status = conn.getresponse().status
except OSError as error:
    print(error)
    sys.exit(1)
print(status)
sys.exit(0 if 200 <= status < 400 else 1)
"""


def handler_command(handler: Handler, timeout: float) -> tuple[list[str], bool]:
    """(argv, runs in the holder) for an http, tcp or exec action."""
    if handler.action == "exec":
        return list(handler.command), False
    headers = json.dumps([list(h) for h in handler.headers])
    argv = [handler.action, str(handler.port), handler.path, str(timeout), headers]
    return ["python3", "-S", "-c", PROBE_SCRIPT, *argv], True


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
