"""The local cluster of tools/cluster: where its binaries and kubeconfig are, and commands on it.

Paths come from tools/cluster/env.sh (the one declaration of versions, cache and ports), read by
sourcing it, so the scripts and the tests cannot disagree.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e_kind.kube import CommandFailed, Kube, log
from loopback import free_port_block

__all__ = [
    "PORTS", "REPO", "TOOLS", "CommandFailed", "Local", "Paths", "free_ports", "log", "paths",
    "settings",
]  # fmt: skip

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "cluster"
# env.sh's port variables: every listener of the cluster
PORTS = (
    "ETCD_PORT", "ETCD_PEER_PORT", "APISERVER_PORT", "CONTROLLER_MANAGER_PORT", "SCHEDULER_PORT",
)  # fmt: skip


def free_ports() -> dict[str, str]:
    """A free loopback port for each of PORTS (another checkout's cluster may hold env.sh's)."""
    base = free_port_block(len(PORTS))
    return {name: str(base + i) for i, name in enumerate(PORTS)}


@dataclass(frozen=True)
class Paths:
    """Where the cached binaries are and where the running cluster's kubeconfig is written."""

    k8s_bin: Path
    kwok_bin: Path
    etcd_bin: Path
    kubeconfig: Path
    go: Path
    gomodcache: Path

    def built(self) -> bool:
        """All six binaries are in the cache."""
        names = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
        found = [self.k8s_bin / n for n in names] + [self.kwok_bin / "kwok"]
        return all(os.access(p, os.X_OK) for p in [*found, self.etcd_bin / "etcd"])


def settings(names: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The values tools/cluster/env.sh gives `names` (overrides in `env`, default os.environ)."""
    script = 'source "$0"; printf "%s\\n" ' + " ".join(f'"${n}"' for n in names)
    argv: list[str | Path] = ["bash", "-c", script, TOOLS / "env.sh"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, env=env).stdout
    return dict(zip(names, out.split("\n"), strict=False))


def paths(env: Mapping[str, str] | None = None) -> Paths:
    """The paths tools/cluster/env.sh declares (overrides in `env`, default os.environ)."""
    names = ("K8S_BIN", "KWOK_BIN", "ETCD_BIN", "KUBECONFIG_ADMIN", "GO", "GOMODCACHE")
    found = settings(names, env)
    return Paths(*(Path(found[n]) for n in names))


class Local(Kube):
    """The kind tier's Kube on the local cluster: the cached kubectl and its kubeconfig."""

    def __init__(self, where: Paths) -> None:  # no kind cluster: Kube.__init__ would want one
        self.paths = where
        self.env = {**os.environ, "KUBECONFIG": str(where.kubeconfig)}

    def kubectl(self, *args: str | Path, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.run(self.paths.k8s_bin / "kubectl", *args, **kw)

    def port_forward(self, target: str, port: int, namespace: str) -> AbstractContextManager[int]:
        """`kubectl port-forward` to a loopback port kubectl picks (pods of the real node)."""
        return self._forward(target, port, namespace)

    @contextmanager
    def _forward(self, target: str, port: int, namespace: str) -> Iterator[int]:
        argv = [str(self.paths.k8s_bin / "kubectl"), "port-forward", "--address", "127.0.0.1",
                "-n", namespace, target, f":{port}"]  # fmt: skip
        log.info("port-forward %s/%s:%d", namespace, target, port)
        forward = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, env=self.env)  # fmt: skip
        try:
            assert forward.stdout is not None
            line = forward.stdout.readline()  # "Forwarding from 127.0.0.1:NNNN -> PORT"
            found = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) ", line)
            if not found:
                forward.kill()
                raise CommandFailed(f"{' '.join(argv)}: {line}{forward.communicate()[1]}")
            yield int(found.group(1))
        finally:
            forward.terminate()
            forward.communicate(timeout=30)
