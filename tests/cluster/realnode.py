"""The local cluster's real nodes (CLUSTER_NODE=real; tools/cluster/node): each a kubelet with a
containerd of its own, the first for everything and the second the GPU node, whose GPU comes
from our device plugin (tests/deviceplugin) through the kubelet's device-plugin API. Here: our
image imported from Docker, the models directory on the machine's disk, and the kwok nodes
cordoned while a test needs its pods to run rather than be faked."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e2e_kind.kindconfig import GPU_CAPACITY, GPU_RESOURCE
from e2e_kind.kube import wait_for

from .local import REPO, TOOLS, Local, settings

__all__ = ["RealNode", "RealNodes", "real_nodes"]

DOCKER_SESSION = (sys.executable, REPO / "tools" / "docker_engine.py", "run", "--")


@dataclass(frozen=True)
class RealNode:
    """One real node: its name and state directory (containerd's socket, the kubelet's root)."""

    api: Local
    name: str
    state: Path

    def ctr(self, *args: str) -> str:
        sock = self.state / "containerd.sock"
        return self.api.run("ctr", "--address", sock, "--namespace", "k8s.io", *args).stdout

    def has_image(self, image: str) -> bool:
        return image in self.ctr("images", "ls", "-q").split()


@dataclass(frozen=True)
class RealNodes:
    """The first node (`cpu`) and the GPU node (`gpu`) of this cluster."""

    cpu: RealNode
    gpu: RealNode

    @property
    def api(self) -> Local:
        return self.cpu.api

    @property
    def models(self) -> Path:
        """The models volume's directory on the machine's disk, which both nodes share (made
        here, world-writable: the training Job writes as uid 1000)."""
        where = self.cpu.state / "models"
        where.mkdir(mode=0o777, exist_ok=True)
        where.chmod(0o777)
        return where

    def import_image(self, image: str) -> None:
        """Our image from Docker (`make image`) into both nodes' containerd, unless there."""
        if not (self.cpu.has_image(image) and self.gpu.has_image(image)):
            self.api.run(*DOCKER_SESSION, "bash", TOOLS / "node" / "import-image.sh", image)

    def _cordoned(self) -> dict[str, bool]:
        """Every real and kwok node: whether it is cordoned."""
        out = self.api.kubectl("get", "nodes", "-l", "type in (real,kwok)", "-o", "json").stdout
        nodes = json.loads(out)["items"]
        return {n["metadata"]["name"]: bool(n["spec"].get("unschedulable")) for n in nodes}

    def _set(self, cordoned: dict[str, bool]) -> None:
        for verb in ("cordon", "uncordon"):
            if names := sorted(n for n, c in cordoned.items() if c == (verb == "cordon")):
                self.api.kubectl(verb, *names)

    @contextmanager
    def cordoned(self) -> Iterator[RealNodes]:
        """The real nodes cordoned meanwhile (the tier's session): pods of tests that need no
        running pod stay on kwok nodes, where no image or model has to exist."""
        before = self._cordoned()
        self._set({n: c or n in (self.cpu.name, self.gpu.name) for n, c in before.items()})
        try:
            yield self
        finally:
            self._set(before)

    @contextmanager
    def only(self) -> Iterator[RealNodes]:
        """The kwok nodes cordoned and the real ones not, meanwhile: new pods land on a real
        node. The nodes are left as they were found."""
        before = self._cordoned()
        self._set({n: n not in (self.cpu.name, self.gpu.name) for n in before})
        try:
            yield self
        finally:
            self._set(before)

    @contextmanager
    def gpus_from_our_plugin(self, count: int = GPU_CAPACITY) -> Iterator[str]:
        """Our device plugin (tests/deviceplugin) serving `count` fake GPUs to the GPU node's
        kubelet meanwhile, through the node's own device-plugins directory (node/up.sh binds it
        over the kubelet's fixed one in the node's mount namespace); yields the node's name once
        the kubelet has them in allocatable. Its log: <node>/deviceplugin.log."""
        where = self.gpu.state / "device-plugins"
        command = [sys.executable, "-m", "deviceplugin", str(where), "--count", str(count)]
        env = {**self.api.env, "PYTHONPATH": str(REPO / "tests")}
        with (self.gpu.state / "deviceplugin.log").open("ab") as out:
            plugin = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:

            def advertised() -> bool | None:
                if plugin.poll() is not None:
                    raise AssertionError(f"the device plugin exited {plugin.returncode}")
                status = self.api.get("node", self.gpu.name, namespace=None)["status"]
                return True if status["allocatable"].get(GPU_RESOURCE) == str(count) else None

            wait_for(f"{count} {GPU_RESOURCE} allocatable on {self.gpu.name}", advertised, 120)
            yield self.gpu.name
        finally:
            plugin.terminate()
            plugin.wait(timeout=30)


def real_nodes(api: Local) -> RealNodes | None:
    """The running cluster's real nodes, or None where env.sh says there are none."""
    names = ("CLUSTER_NODE", "NODE_NAME", "GPU_NODE_NAME", "CLUSTER_DIR")
    found = settings(names, api.env)
    if found["CLUSTER_NODE"] != "real":
        return None
    state = Path(found["CLUSTER_DIR"])
    return RealNodes(
        RealNode(api, found["NODE_NAME"], state / "node"),
        RealNode(api, found["GPU_NODE_NAME"], state / "node-gpu"),
    )
