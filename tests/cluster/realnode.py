"""The local cluster's real node (CLUSTER_NODE=real; tools/cluster/node): its containerd, the
models directory on its disk, our image imported from Docker, and the kwok nodes cordoned while
a test needs its pods to run here rather than be faked."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .local import REPO, TOOLS, Local, settings

__all__ = ["RealNode", "real_node"]

DOCKER_SESSION = (sys.executable, REPO / "tools" / "docker_engine.py", "run", "--")


@dataclass(frozen=True)
class RealNode:
    """The real node of this cluster: its name and state directory ($CLUSTER_DIR/node)."""

    api: Local
    name: str
    state: Path

    @property
    def models(self) -> Path:
        """The models volume's directory on the node's disk (made here, world-writable: the
        training Job writes as uid 1000)."""
        where = self.state / "models"
        where.mkdir(mode=0o777, exist_ok=True)
        where.chmod(0o777)
        return where

    def ctr(self, *args: str) -> str:
        sock = self.state / "containerd.sock"
        return self.api.run("ctr", "--address", sock, "--namespace", "k8s.io", *args).stdout

    def has_image(self, image: str) -> bool:
        return image in self.ctr("images", "ls", "-q").split()

    def import_image(self, image: str) -> None:
        """Our image from Docker (`make image`) into the node's containerd, unless there."""
        if not self.has_image(image):
            self.api.run(*DOCKER_SESSION, "bash", TOOLS / "node" / "import-image.sh", image)

    @contextmanager
    def only(self) -> Iterator[RealNode]:
        """The kwok nodes cordoned meanwhile, so every new pod lands here."""
        self.api.kubectl("cordon", "-l", "type=kwok")
        try:
            yield self
        finally:
            self.api.kubectl("uncordon", "-l", "type=kwok")


def real_node(api: Local) -> RealNode | None:
    """The running cluster's real node, or None where env.sh says there is none."""
    found = settings(("CLUSTER_NODE", "NODE_NAME", "CLUSTER_DIR"), api.env)
    if found["CLUSTER_NODE"] != "real":
        return None
    return RealNode(api, found["NODE_NAME"], Path(found["CLUSTER_DIR"]) / "node")
