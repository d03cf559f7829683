"""The docker CLI for the container tier: every container and network it makes carries the
session's label, so teardown removes exactly those and can prove nothing is left."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LABEL", "Docker", "Failed", "docker_answers", "wait_http"]

LABEL = "io.infergraph.test-session"


class Failed(RuntimeError):
    """A docker command failed; the message carries its stderr."""


def docker_answers() -> bool:
    """True when `docker info` reaches an engine (the container and kind tiers' gate)."""
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def wait_http(url: str, timeout: float = 120.0) -> None:
    """Wait until GET `url` answers 200 (a readiness probe, from the host)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError) as error:
            last = str(error)
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready within {timeout:.0f} s: {last}")


@dataclass
class Docker:
    """docker commands labelled with one session id."""

    session: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def label(self) -> str:
        return f"{LABEL}={self.session}"

    def __call__(self, *args: str, timeout: float = 600.0, check: bool = True) -> str:
        """Run `docker ARGS`; stdout, or Failed with stderr when it exits non-zero."""
        done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise Failed(f"docker {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def run(self, *args: str) -> str:
        """`docker run -d` with the session label; the container id."""
        return self("run", "-d", "--label", self.label, *args).strip()

    def logs(self, container: str) -> str:
        """The container's output, stdout then stderr (`docker logs` splits them the same way,
        and our servers log to stderr)."""
        done = subprocess.run(["docker", "logs", container], capture_output=True, text=True)
        return done.stdout + done.stderr

    def inspect(self, container: str) -> dict[str, Any]:
        """`docker inspect` of one container."""
        (doc,) = json.loads(self("inspect", container))
        result: dict[str, Any] = doc
        return result

    def published(self, container: str, port: int) -> int:
        """The 127.0.0.1 host port published for `port`/tcp."""
        bindings = self.inspect(container)["NetworkSettings"]["Ports"][f"{port}/tcp"]
        (binding,) = [b for b in bindings if b["HostIp"] == "127.0.0.1"]
        return int(binding["HostPort"])

    def leftovers(self) -> list[str]:
        """Containers and networks of this session that still exist."""
        containers = self("ps", "-aq", "--filter", f"label={self.label}").split()
        networks = self("network", "ls", "-q", "--filter", f"label={self.label}").split()
        return containers + networks

    def remove_all(self) -> None:
        """Remove every container and network of this session."""
        containers = self("ps", "-aq", "--filter", f"label={self.label}").split()
        if containers:
            self("rm", "-f", "-v", *containers)
        networks = self("network", "ls", "-q", "--filter", f"label={self.label}").split()
        if networks:
            self("network", "rm", *networks)
