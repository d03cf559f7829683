"""build.sh's one install step (`go_install`) and every binary build.sh makes through it, with a
stand-in `go` on PATH that writes a small file where the real one would write a binary: no Go
build runs, but the cache layout, the moves and the recorded checksums are the script's own."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .local import TOOLS

# The stand-in: `go build -o OUT PKG...` writes OUT (a file) or OUT/<last element> per package;
# `go install PKG@V` writes $GOBIN/<last element>. Each file names the package and the directory
# it was built in, so a test can tell which binary landed where.
_FAKE_GO = f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
verb, rest = args[0], args[1:]
out, pkgs, i = os.environ["GOBIN"] + "/", [], 0
while i < len(rest):
    if rest[i] in ("-o", "-p", "-ldflags"):
        out = rest[i + 1] if rest[i] == "-o" else out
        i += 2
        continue
    pkgs.append(rest[i].split("@")[0])
    i += 1
with open(os.environ["GO_LOG"], "a") as log:
    log.write(" ".join([verb, *args[1:]]) + "\\n")
for pkg in pkgs:
    path = out + pkg.rsplit("/", 1)[1] if out.endswith("/") else out
    with open(path, "w") as binary:
        binary.write(f"#!/bin/sh\\necho {{pkg}} built in {{os.getcwd()}}\\n")
    os.chmod(path, 0o755)
"""


@pytest.fixture
def fake_go(tmp_path: Path) -> dict[str, str]:
    """An environment whose `go` is the stand-in, with the cluster cache in `tmp_path`."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    (bin_dir / "go").write_text(_FAKE_GO)
    (bin_dir / "go").chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "GO": "go",
        "GO_LOG": str(tmp_path / "go.log"),
        "CLUSTER_DIR": str(tmp_path / "state"),
        "CLUSTER_CACHE": str(tmp_path / "cache"),
    }


def _sums(directory: Path) -> dict[str, str]:
    """SHA256SUMS of `directory` as {name: digest}."""
    lines = (directory / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ") for line in lines)}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _go_install(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Sources build.sh (which then only defines its functions) and runs go_install ARGS, as
    build.sh does: a statement of its own, under set -e."""
    script = f'source "{TOOLS}/build.sh"\ngo_install "$@"\necho "built=$built"'
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script, "go_install", *args],
                          env=env, capture_output=True, text=True, timeout=60)  # fmt: skip


def test_go_install_builds_into_the_cache_and_records_every_checksum(
    fake_go: dict[str, str], tmp_path: Path
) -> None:
    cache = tmp_path / "cache" / "v9" / "bin"
    cache.mkdir(parents=True)
    (cache / "kubectl").write_text("already cached\n")
    done = _go_install(fake_go, str(cache), "19", str(tmp_path), "kube-apiserver kube-scheduler",
                       "build", "-p", "1", "example.test/cmd/kube-apiserver",
                       "example.test/cmd/kube-scheduler")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "built=1\n"
    assert (cache / "kube-apiserver").read_text().endswith(f"built in {tmp_path}\n")
    assert sorted(p.name for p in cache.parent.iterdir()) == ["bin"], "the .tmp directory stayed"
    names = ("kube-apiserver", "kube-scheduler", "kubectl")
    assert _sums(cache) == {name: _digest(cache / name) for name in names}
    log = Path(fake_go["GO_LOG"]).read_text()
    assert log == f"build -o {cache}.tmp/ -p 1 example.test/cmd/kube-apiserver " \
                  "example.test/cmd/kube-scheduler\n"  # fmt: skip


def test_go_install_names_a_single_build_output_by_its_binary(
    fake_go: dict[str, str], tmp_path: Path
) -> None:
    """etcd's package ends in /v3: one name gives the output its file name, not the package's."""
    cache = tmp_path / "etcd" / "bin"
    done = _go_install(fake_go, str(cache), "19", str(tmp_path), "etcd", "build",
                       "go.etcd.io/etcd/server/v3")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in cache.iterdir()) == ["SHA256SUMS", "etcd"]
    assert _sums(cache) == {"etcd": _digest(cache / "etcd")}


def test_go_install_that_fails_stops_and_caches_nothing(
    fake_go: dict[str, str], tmp_path: Path
) -> None:
    cache = tmp_path / "kwok" / "bin"
    failing = {**fake_go, "GO_LOG": str(tmp_path / "no-such-dir" / "go.log")}  # the stand-in fails
    done = _go_install(failing, str(cache), "19", str(tmp_path), "kwok", "install",
                       "sigs.k8s.io/kwok/cmd/kwok@v0.7.0")  # fmt: skip
    assert done.returncode != 0
    assert not cache.exists()


def test_build_installs_every_binary_through_the_stand_in(fake_go: dict[str, str]) -> None:
    """The whole script on an empty cache: every Go binary built once, each cache with its sums."""
    done = subprocess.run(["bash", TOOLS / "build.sh"], env=fake_go, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "build.sh: built in " in done.stdout
    cache = Path(fake_go["CLUSTER_CACHE"])
    caches = {
        "v1.32.2/bin": {"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"},
        "kwok-v0.7.0/bin": {"kwok"},
        "etcd-v3.5.16/bin": {"etcd"},
    }
    for where, names in caches.items():
        assert set(_sums(cache / where)) == names, where
        for name in names:
            assert _sums(cache / where)[name] == _digest(cache / where / name)
    log = Path(fake_go["GO_LOG"]).read_text().splitlines()
    assert len(log) == 3
    assert log[1] == "install -p 1 -ldflags -s -w sigs.k8s.io/kwok/cmd/kwok@v0.7.0"
    again = subprocess.run(["bash", TOOLS / "build.sh"], env=fake_go, capture_output=True,
                           text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("build.sh: cached (")
    assert len(Path(fake_go["GO_LOG"]).read_text().splitlines()) == 3
