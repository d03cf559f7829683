"""The local cluster of tools/cluster: where its binaries and kubeconfig are, and commands on it.

Paths come from tools/cluster/env.sh (the one declaration of versions, cache and ports), read by
sourcing it, so the scripts and the tests cannot disagree.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from infergraph.render_helm import helm_executable

__all__ = ["TOOLS", "CommandFailed", "Local", "Paths", "log", "paths"]

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "cluster"
log = logging.getLogger("cluster")


class CommandFailed(AssertionError):
    """A command exited non-zero; the message carries its output."""


@dataclass(frozen=True)
class Paths:
    """Where the cached binaries are and where the running cluster's kubeconfig is written."""

    k8s_bin: Path
    kwok_bin: Path
    kubeconfig: Path
    go: Path

    def built(self) -> bool:
        """All five binaries are in the cache (etcd comes from Debian's etcd-server)."""
        names = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")
        found = [self.k8s_bin / n for n in names] + [self.kwok_bin / "kwok"]
        return all(os.access(p, os.X_OK) for p in found)


def paths() -> Paths:
    """The paths tools/cluster/env.sh declares (environment overrides included)."""
    script = 'source "$0"; printf "%s\\n" "$K8S_BIN" "$KWOK_BIN" "$KUBECONFIG_ADMIN" "$GO"'
    out = subprocess.run(
        ["bash", "-c", script, TOOLS / "env.sh"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    return Paths(*(Path(line) for line in out[:4]))


class Local:
    """kubectl (the cached build) and helm, both with the local cluster's kubeconfig."""

    def __init__(self, where: Paths) -> None:
        self.paths = where
        self.kubectl_bin = where.k8s_bin / "kubectl"
        self.helm_bin = helm_executable()
        self.env = {**os.environ, "KUBECONFIG": str(where.kubeconfig)}

    def run(
        self, *argv: str | Path, stdin: str | None = None, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with the cluster's kubeconfig; raise CommandFailed when `check`."""
        command = [str(a) for a in argv]
        log.info("$ %s", shlex.join(command))
        started = time.monotonic()
        done = subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=self.env, timeout=timeout
        )
        log.info("exit %d after %.1f s", done.returncode, time.monotonic() - started)
        if check and done.returncode != 0:
            raise CommandFailed(f"{shlex.join(command)}: exit {done.returncode}\n"
                                f"{done.stdout[-3000:]}{done.stderr[-3000:]}")  # fmt: skip
        return done

    def kubectl(
        self, *args: str | Path, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run(self.kubectl_bin, *args, stdin=stdin, check=check)

    def helm(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(self.helm_bin, *args, check=check)
