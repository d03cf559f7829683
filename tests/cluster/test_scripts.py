"""tools/cluster's scripts where they need no Kubernetes binaries: down.sh stops only what it
recorded and still runs the binary it started, up.sh and build.sh refuse clearly."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .local import TOOLS, free_ports, paths


@pytest.fixture
def state(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The scripts' environment with the cluster state and cache in `tmp_path`."""
    env = {**os.environ, "CLUSTER_DIR": str(tmp_path / "state")}
    env["CLUSTER_CACHE"] = str(tmp_path / "cache")
    (tmp_path / "state" / "pids").mkdir(parents=True)
    yield env


def _script(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", TOOLS / f"{name}.sh"], env=env, capture_output=True, text=True, timeout=120
    )


def _sleeper(path: Path) -> subprocess.Popen[bytes]:
    """A process whose name is `path`'s (a copy of sleep), as a started component looks."""
    shutil.copy(shutil.which("sleep") or "/bin/sleep", path)
    return subprocess.Popen([path, "300"])


def test_down_stops_the_recorded_process(state: dict[str, str], tmp_path: Path) -> None:
    etcd = _sleeper(tmp_path / "etcd")
    pidfile = Path(state["CLUSTER_DIR"]) / "pids" / "etcd"
    pidfile.write_text(f"{etcd.pid}\n")
    done = _script("down", state)
    assert done.returncode == 0, done.stderr
    assert etcd.wait(timeout=30) is not None
    assert not pidfile.exists()
    assert done.stdout == "cluster: stopped etcd\n"


def test_down_leaves_a_process_that_reused_a_recorded_pid(
    state: dict[str, str], tmp_path: Path
) -> None:
    other = _sleeper(tmp_path / "not-ours")
    pidfile = Path(state["CLUSTER_DIR"]) / "pids" / "kube-apiserver"
    pidfile.write_text(f"{other.pid}\n")
    try:
        done = _script("down", state)
        time.sleep(0.5)
        assert other.poll() is None, "down.sh stopped a process it had not started"
        assert not pidfile.exists()
        assert done.stdout.startswith("cluster: stopped nothing")
    finally:
        other.kill()
        other.wait()


def test_down_stops_the_gpu_nodes_kubelet_by_its_binary_and_leaves_an_impostor(
    state: dict[str, str], tmp_path: Path
) -> None:
    """A component `<binary>@gpu` (the real GPU node's) is stopped when its pid runs <binary>."""
    kubelet = _sleeper(tmp_path / "kubelet")
    impostor = _sleeper(tmp_path / "containerd-x")
    pids = Path(state["CLUSTER_DIR"]) / "pids"
    (pids / "kubelet@gpu").write_text(f"{kubelet.pid}\n")
    (pids / "containerd@gpu").write_text(f"{impostor.pid}\n")
    (Path(state["CLUSTER_DIR"]) / "node").mkdir()
    try:
        done = _script("down", {**state, "CLUSTER_NODE": "real"})
        assert done.returncode == 0, done.stderr
        assert kubelet.wait(timeout=30) is not None
        time.sleep(0.5)
        assert impostor.poll() is None, "down.sh stopped a process it had not started"
        assert done.stdout == "cluster: stopped kubelet@gpu\n"
        assert not list(pids.iterdir())
    finally:
        impostor.kill()
        impostor.wait()


def test_up_without_a_build_names_the_missing_binary(state: dict[str, str]) -> None:
    done = _script("up", state)
    assert done.returncode == 1
    missing = Path(state["CLUSTER_CACHE"]) / "v1.32.2" / "bin" / "kube-apiserver"
    assert done.stderr.strip() == f"cluster: {missing} missing; run make cluster-build"
    assert not (Path(state["CLUSTER_DIR"]) / "pki").exists()


def test_build_refuses_a_version_other_than_the_pin(state: dict[str, str]) -> None:
    done = _script("build", {**state, "K8S_VERSION": "v1.31.0"})
    assert done.returncode == 2
    assert "K8S_VERSION=v1.31.0 but tools/cluster/go.mod pins k8s.io/kubernetes v1.32.2" in (
        done.stderr
    )


def test_build_refuses_an_etcd_version_other_than_the_pin(state: dict[str, str]) -> None:
    done = _script("build", {**state, "ETCD_VERSION": "v3.4.23"})
    assert done.returncode == 2
    assert (
        "ETCD_VERSION=v3.4.23 but tools/cluster/etcd/go.mod pins go.etcd.io/etcd/server/v3 v3.5.16"
        in done.stderr
    )


ETCD = paths().etcd_bin / "etcd"


@pytest.mark.skipif(not os.access(ETCD, os.X_OK), reason=f"no {ETCD} (make cluster-build)")
def test_up_that_fails_stops_what_it_started(state: dict[str, str]) -> None:
    """Real etcd (the cached build) and certificates, then an API server that cannot start:
    up.sh says so with the component's log, and stops etcd again (nothing left running or
    listening)."""
    cache = Path(state["CLUSTER_CACHE"])
    (cache / "etcd-v3.5.16" / "bin").mkdir(parents=True)
    (cache / "etcd-v3.5.16" / "bin" / "etcd").symlink_to(ETCD)
    for path in (
        *(cache / "v1.32.2" / "bin" / n for n in
          ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")),
        cache / "kwok-v0.7.0" / "bin" / "kwok",
    ):  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\necho 'stand-in: not built' >&2\nexit 3\n")
        path.chmod(0o755)
    ports = free_ports()
    done = _script("up", {**state, **ports})
    assert done.returncode == 1
    assert "cluster: etcd ready" in done.stdout
    assert "cluster: kube-apiserver exited" in done.stderr
    assert "stand-in: not built" in done.stderr
    assert "cluster: stopped etcd\n" in done.stderr  # the stand-in had exited
    pki = Path(state["CLUSTER_DIR"]) / "pki"
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", pki / "ca.crt", pki / "apiserver.crt"], capture_output=True
    )
    assert verify.returncode == 0, verify.stderr
    for port in (ports["ETCD_PORT"], ports["ETCD_PEER_PORT"]):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", int(port))) != 0, f"{port} still listening"
    assert not list((Path(state["CLUSTER_DIR"]) / "pids").iterdir())


ROOT_ONLY = "cluster: the real node's scripts need root"
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason=ROOT_ONLY)


def _bridge(name: str) -> bool:
    """Create bridge `name` (True), or say it exists already or cannot be made (False)."""
    return subprocess.run(["ip", "link", "add", name, "type", "bridge"]).returncode == 0


def _has_link(name: str) -> bool:
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


@needs_root
def test_down_deletes_the_bridge_the_real_node_recorded_and_no_other(
    state: dict[str, str],
) -> None:
    ours, other = f"igt{os.getpid() % 10**6}a", f"igt{os.getpid() % 10**6}b"
    assert _bridge(ours) and _bridge(other)
    try:
        node = Path(state["CLUSTER_DIR"]) / "node"
        node.mkdir()
        (node / "bridge").write_text(f"{ours}\n")
        done = _script("down", state)
        assert done.returncode == 0, done.stderr
        assert not _has_link(ours)
        assert _has_link(other), "down.sh deleted a bridge it had not recorded"
        assert not (node / "bridge").exists()
    finally:
        for name in (ours, other):
            subprocess.run(["ip", "link", "delete", name], capture_output=True)


def _ruleset() -> str:
    """The filter table's rules, all chains (what node/forward.sh may change)."""
    return subprocess.run(["iptables", "-w", "-S"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def _forward_script(verb: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", TOOLS / "node" / "forward.sh", verb], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


needs_iptables = pytest.mark.skipif(
    shutil.which("iptables") is None, reason="cluster: no iptables on this machine"
)


@needs_root
@needs_iptables
def test_forward_rule_accepts_our_bridge_first_and_down_leaves_the_ruleset_as_it_was(
    state: dict[str, str],
) -> None:
    """Docker's FORWARD DROP dropped every frame between pods on our bridge (2026-12-02):
    up accepts the bridge's own traffic ahead of every other rule; down.sh removes exactly that
    rule. A rule like ours that someone else added (no comment) stays."""
    bridge = f"igt{os.getpid() % 10**6}f"
    env = {**state, "NODE_BRIDGE": bridge}
    theirs = ["-i", bridge, "-o", bridge, "-j", "ACCEPT"]
    subprocess.run(["iptables", "-w", "-A", "FORWARD", *theirs], check=True)
    try:
        before = _ruleset()
        done = _forward_script("accept", env)
        assert done.returncode == 0, done.stderr
        forward = [r for r in _ruleset().splitlines() if r.startswith("-A FORWARD")]
        assert forward[0] == (f'-A FORWARD -i {bridge} -o {bridge} -m comment --comment '
                              '"infergraph real nodes" -j ACCEPT')  # fmt: skip
        assert _forward_script("accept", env).returncode == 1  # recorded: never twice
        (Path(state["CLUSTER_DIR"]) / "node").mkdir(exist_ok=True)
        done = _script("down", env)
        assert done.returncode == 0, done.stderr
        assert _ruleset() == before
        assert not (Path(state["CLUSTER_DIR"]) / "node" / "forward-rule").exists()
        assert _forward_script("remove", env).returncode == 0  # nothing recorded: nothing done
        assert _ruleset() == before
    finally:
        ours = ["-i", bridge, "-o", bridge, "-m", "comment", "--comment", "infergraph real nodes"]
        for rule in (theirs, [*ours, "-j", "ACCEPT"]):
            subprocess.run(["iptables", "-w", "-D", "FORWARD", *rule], capture_output=True)


def test_forward_script_without_a_verb_is_a_usage_error(state: dict[str, str]) -> None:
    done = _forward_script("", state)
    assert done.returncode == 2
    assert done.stderr == "usage: forward.sh accept|remove\n"


@needs_root
def test_down_unmounts_what_the_real_node_left_under_its_directory(state: dict[str, str]) -> None:
    volume = Path(state["CLUSTER_DIR"]) / "node" / "kubelet" / "pods" / "p" / "volumes" / "v"
    volume.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", volume], check=True)
    try:
        done = _script("down", state)
        assert done.returncode == 0, done.stderr
        assert not os.path.ismount(volume)
    finally:
        if os.path.ismount(volume):
            subprocess.run(["umount", volume])


def test_oci_image_archives_are_deterministic_and_name_the_image(tmp_path: Path) -> None:
    """The pause and CoreDNS archives are built at every node start: same input, same bytes."""
    binary = tmp_path / "tool"
    binary.write_bytes(b"\x7fELF stand-in\n")
    script = TOOLS / "node" / "oci-image.sh"
    archives = []
    for n in (1, 2):
        out = tmp_path / f"{n}.tar"
        args = ["example.test/tool:1", str(out), "65532:65532", '["/tool"]', f"{binary}=/tool"]
        done = subprocess.run(["bash", script, *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        archives.append(out.read_bytes())
        time.sleep(1.1)  # a timestamp that leaked in would differ
    assert archives[0] == archives[1]
    listing = subprocess.run(["tar", "-xOf", tmp_path / "1.tar", "./index.json"],
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    index = json.loads(listing)
    [manifest] = index["manifests"]
    assert manifest["annotations"]["io.containerd.image.name"] == "example.test/tool:1"
    assert not list(tmp_path.glob("*.tar.*")), "a temporary file was left"


def test_oci_image_without_its_arguments_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(["bash", TOOLS / "node" / "oci-image.sh", "x:1"], capture_output=True,
                          text=True)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("usage: oci-image.sh NAME:TAG OUT.tar")


def _cached(directory: Path, *names: str) -> None:
    """Stand-ins for cached binaries with their SHA256SUMS, as build.sh leaves them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text(f"#!/bin/sh\necho {name}\n")
        (directory / name).chmod(0o755)
    sums = subprocess.run(["sha256sum", *names], cwd=directory, capture_output=True, text=True)
    (directory / "SHA256SUMS").write_text(sums.stdout)


def test_build_with_the_real_node_verifies_its_cached_binaries(state: dict[str, str]) -> None:
    cache = Path(state["CLUSTER_CACHE"])
    _cached(cache / "v1.32.2" / "bin", "kube-apiserver", "kube-controller-manager",
            "kube-scheduler", "kubectl")  # fmt: skip
    _cached(cache / "kwok-v0.7.0" / "bin", "kwok")
    _cached(cache / "etcd-v3.5.16" / "bin", "etcd")
    _cached(cache / "v1.32.2" / "node-bin", "kubelet", "kube-proxy")
    _cached(cache / "coredns-v1.11.3" / "bin", "coredns")
    _cached(cache / "pause-3.10" / "bin", "pause")
    real = {**state, "CLUSTER_NODE": "real"}
    done = _script("build", real)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("build.sh: cached (")
    assert str(cache / "v1.32.2" / "node-bin") in done.stdout
    (cache / "v1.32.2" / "node-bin" / "kubelet").write_text("#!/bin/sh\necho tampered\n")
    done = _script("build", real)
    assert done.returncode != 0
    assert "kubelet: FAILED" in done.stdout + done.stderr
