"""The real node's container runtime without Kubernetes (tools/cluster/node/runtime.sh and the
node half of down.sh), on this machine's real parts: Debian's containerd with its own root, state
and socket runs the pause image built from source under runc; the CNI configuration gives a
network namespace an address on the node's bridge that reaches the node's address; down.sh kills
the containers, stops containerd, and deletes the bridge, leaving nothing mounted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from .local import TOOLS, settings

TOOLS_NEEDED = ("containerd", "containerd-shim-runc-v2", "runc", "ctr", "ip", "gcc")
PAUSE = Path(settings(("PAUSE_BIN",))["PAUSE_BIN"]) / "pause"
CNI_BIN = Path("/usr/lib/cni")


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "node runtime: needs root"
    missing = [t for t in TOOLS_NEEDED if shutil.which(t) is None]
    if missing or not (CNI_BIN / "bridge").exists():
        return "node runtime: apt-get install containerd runc containernetworking-plugins"
    if not os.access(PAUSE, os.X_OK):
        return f"node runtime: no {PAUSE} (CLUSTER_NODE=real make cluster-build)"
    return None


pytestmark = pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "")


def _run(
    *argv: str | Path, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [str(a) for a in argv]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=env, input=input
    )


@pytest.fixture
def node_env() -> Iterator[dict[str, str]]:
    """The scripts' environment: a short state directory (unix socket paths are limited), a
    bridge, pod range and node address of this test's own, CoreDNS stood in by pause."""
    state = Path(tempfile.mkdtemp(prefix="ig", dir="/tmp"))
    octet = os.getpid() % 200 + 20
    stand_in = state / "coredns-bin"
    stand_in.mkdir()
    shutil.copy(PAUSE, stand_in / "coredns")
    env = {**os.environ, "CLUSTER_DIR": str(state / "c"), "COREDNS_BIN": str(stand_in),
           "NODE_BRIDGE": f"igt{os.getpid() % 10**6}n", "NODE_POD_CIDR": f"10.247.{octet}.0/24",
           "NODE_IP": f"10.247.{octet}.1"}  # fmt: skip
    (state / "c" / "pids").mkdir(parents=True)
    try:
        yield env
    finally:
        _run("bash", TOOLS / "down.sh", env=env)
        _run("ip", "link", "delete", env["NODE_BRIDGE"])
        shutil.rmtree(state, ignore_errors=True)


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"node")

    def log_message(self, *args: object) -> None:
        pass


def _cni(command: str, conf: dict[str, object], netns: str) -> subprocess.CompletedProcess[str]:
    """One CNI call of the conflist's bridge plugin, as containerd makes it."""
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": "infergraph-test", "CNI_IFNAME": "eth0",
           "CNI_NETNS": f"/run/netns/{netns}", "CNI_PATH": str(CNI_BIN),
           "PATH": os.environ["PATH"]}  # fmt: skip
    return _run(CNI_BIN / "bridge", input=json.dumps(conf), env=env)


def test_runtime_runs_pause_and_networks_a_namespace_and_down_removes_it_all(
    node_env: dict[str, str],
) -> None:
    node = Path(node_env["CLUSTER_DIR"]) / "node"
    done = _run(TOOLS / "node" / "runtime.sh", env=node_env)
    assert done.returncode == 0, done.stderr
    bridge, node_ip = node_env["NODE_BRIDGE"], node_env["NODE_IP"]
    assert f"inet {node_ip}/24" in _run("ip", "-o", "addr", "show", bridge).stdout

    with (node / "containerd.log").open("w") as log:
        containerd = subprocess.Popen(["containerd", "--config", node / "containerd.toml"],
                                      stdout=log, stderr=log, start_new_session=True)  # fmt: skip
    (Path(node_env["CLUSTER_DIR"]) / "pids" / "containerd").write_text(f"{containerd.pid}\n")
    ctr = ["ctr", "--address", str(node / "containerd.sock"), "--namespace", "k8s.io"]
    deadline = time.monotonic() + 60
    while _run(*ctr, "version").returncode != 0:
        assert containerd.poll() is None, (node / "containerd.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "containerd did not answer in 60 s"
        time.sleep(0.5)
    plugins = _run(*ctr, "plugins", "ls").stdout
    assert any(p.split()[1:2] == ["cri"] and p.split()[-1] == "ok" for p in plugins.splitlines())

    pause = f"registry.k8s.io/pause:{settings(('PAUSE_VERSION',))['PAUSE_VERSION']}"
    for archive in ("pause.tar", "coredns.tar"):
        assert _run(*ctr, "images", "import", node / "images" / archive).returncode == 0
    assert _run(*ctr, "run", "-d", pause, "pause-test").returncode == 0
    tasks = _run(*ctr, "tasks", "ls").stdout.splitlines()
    [task] = [t.split() for t in tasks if t.startswith("pause-test")]
    assert task[2] == "RUNNING"
    status = Path(f"/proc/{task[1]}/status").read_text()
    assert "Uid:\t65535\t" in status  # the image's user, not root

    netns = f"igt{os.getpid()}"
    conf = json.loads((node / "cni" / "net.d" / "10-infergraph.conflist").read_text())
    plugin = {"cniVersion": conf["cniVersion"], "name": conf["name"], **conf["plugins"][0]}
    server = HTTPServer((node_ip, 0), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    assert _run("ip", "netns", "add", netns).returncode == 0
    try:
        added = _cni("ADD", plugin, netns)
        assert added.returncode == 0, added.stdout + added.stderr
        url = f"http://{node_ip}:{server.server_port}/"
        get = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read())"
        fetched = _run("ip", "netns", "exec", netns, "python3", "-c", get, url)
        assert fetched.stdout.strip() == "b'node'", fetched.stderr
        assert _cni("DEL", plugin, netns).returncode == 0
    finally:
        server.shutdown()
        server.server_close()
        _run("ip", "netns", "delete", netns)

    done = _run("bash", TOOLS / "down.sh", env=node_env)
    assert done.returncode == 0, done.stderr
    assert "containerd" in done.stdout
    assert containerd.wait(timeout=30) is not None
    assert not Path(f"/proc/{task[1]}").exists(), "the pause container outlived down.sh"
    assert _run("ip", "link", "show", bridge).returncode != 0, "down.sh left the bridge"
    assert str(node) not in _run("findmnt", "-rn", "-o", "TARGET").stdout


def test_the_gpu_node_joins_the_first_nodes_bridge_with_its_own_address_and_range(
    node_env: dict[str, str],
) -> None:
    """runtime.sh gpu: the second node's containerd and CNI configuration in node-gpu, its
    address on the bridge runtime.sh made, its pods in a range of their own; never first."""
    state = Path(node_env["CLUSTER_DIR"])
    octet = node_env["NODE_IP"].split(".")[2]
    gpu = {
        **node_env,
        "GPU_NODE_IP": f"10.248.{octet}.1",
        "GPU_NODE_POD_CIDR": f"10.248.{octet}.0/24",
    }
    alone = _run(TOOLS / "node" / "runtime.sh", "gpu", env=gpu)
    assert alone.returncode == 1 and "run runtime.sh cpu first" in alone.stderr, alone.stderr
    assert _run(TOOLS / "node" / "runtime.sh", env=gpu).returncode == 0
    done = _run(TOOLS / "node" / "runtime.sh", "gpu", env=gpu)
    assert done.returncode == 0, done.stderr
    addresses = _run("ip", "-o", "addr", "show", node_env["NODE_BRIDGE"]).stdout
    assert f"inet {node_env['NODE_IP']}/24" in addresses
    assert f"inet {gpu['GPU_NODE_IP']}/24" in addresses
    conf = json.loads((state / "node-gpu" / "cni" / "net.d" / "10-infergraph.conflist").read_text())
    ipam = conf["plugins"][0]["ipam"]
    assert ipam["ranges"] == [[{"subnet": gpu["GPU_NODE_POD_CIDR"], "gateway": gpu["GPU_NODE_IP"]}]]
    assert ipam["dataDir"] == str(state / "node-gpu" / "cni" / "ipam")
    toml = (state / "node-gpu" / "containerd.toml").read_text()
    assert f'address = "{state / "node-gpu" / "containerd.sock"}"' in toml
    assert sorted(p.name for p in (state / "node-gpu" / "images").iterdir()) == ["pause.tar"]
    assert not (state / "node-gpu" / "bridge").exists()  # the first node's claim, deleted once
    assert _run("bash", TOOLS / "down.sh", env=gpu).returncode == 0
    assert _run("ip", "link", "show", node_env["NODE_BRIDGE"]).returncode != 0
