"""Commands against the kind cluster (kubectl, helm, docker), each one logged with its timing,
and `wait_for`, the one bounded polling loop of the suite."""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pytest_kind import KindCluster

from infergraph.render_helm import helm_executable

from .objects import NAMESPACE

__all__ = ["CommandFailed", "Kube", "log", "wait_for"]

log = logging.getLogger("e2e_kind")
T = TypeVar("T")


class CommandFailed(AssertionError):
    """A command exited non-zero; the message carries the tail of its output."""


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 2.0) -> T:
    """Call `probe` until it returns something other than None, at most `timeout` seconds."""
    log.info("waiting for %s (up to %.0f s)", what, timeout)
    started = time.monotonic()
    while (found := probe()) is None:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: still not so after {timeout:.0f} s")
        time.sleep(every)
    log.info("%s: after %.1f s", what, time.monotonic() - started)
    return found


class Kube:
    """One kind cluster: kubectl (pytest-kind's binary), helm and docker with its kubeconfig."""

    def __init__(self, cluster: KindCluster) -> None:
        cluster.ensure_kubectl()
        self.cluster = cluster
        self.env = {**os.environ, "KUBECONFIG": str(Path(cluster.kubeconfig_path).resolve())}

    def run(
        self, *argv: str | Path, stdin: str | None = None, check: bool = True, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with the cluster's kubeconfig; raise CommandFailed when `check`."""
        command = [str(a) for a in argv]
        log.info("$ %s", shlex.join(command))
        started = time.monotonic()
        result = subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=self.env, timeout=timeout
        )
        log.info("  exit %d after %.1f s", result.returncode, time.monotonic() - started)
        if check and result.returncode != 0:
            raise CommandFailed(
                f"{shlex.join(command)} exited {result.returncode}\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def kubectl(self, *args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.run(self.cluster.kubectl_path, *args, **kw)

    def helm(self, *args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.run(helm_executable(), *args, **kw)

    def apply(self, *objects: dict[str, Any]) -> None:
        """`kubectl apply` the objects (server-side defaults, idempotent on a kept cluster)."""
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(objects))

    def get(self, kind: str, name: str, namespace: str | None = NAMESPACE) -> dict[str, Any]:
        """One object as JSON (`namespace` None: a cluster-scoped kind)."""
        where = ["-n", namespace] if namespace else []
        out = self.kubectl("get", kind, name, *where, "-o", "json").stdout
        found: dict[str, Any] = json.loads(out)
        return found

    def items(self, kind: str, selector: str, namespace: str = NAMESPACE) -> list[dict[str, Any]]:
        """Objects of `kind` matching a label selector, as JSON."""
        out = self.kubectl("get", kind, "-n", namespace, "-l", selector, "-o", "json").stdout
        found: list[dict[str, Any]] = json.loads(out)["items"]
        return found

    def metrics(self, pod: str, port: int, namespace: str = NAMESPACE) -> str:
        """A pod's Prometheus text through the API server's pod proxy (no port-forward)."""
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/metrics"
        return self.kubectl("get", "--raw", path).stdout

    def port_forward(self, target: str, port: int, namespace: str) -> AbstractContextManager[int]:
        """pytest-kind's `kubectl port-forward` on a random local port (a context manager)."""
        log.info("port-forward %s/%s:%d", namespace, target, port)
        forward: AbstractContextManager[int] = self.cluster.port_forward(
            target, port, "-n", namespace
        )
        return forward

    def logs(self, selector: str, namespace: str = NAMESPACE) -> str:
        """The last lines of every container of the matching pods, for failure messages."""
        args = ["logs", "-n", namespace, "-l", selector, "--all-containers", "--tail=50"]
        return self.kubectl(*args, "--prefix", check=False).stdout
