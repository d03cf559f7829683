"""The device-plugin API's Python stubs, generated from `api.proto` of the `k8s.io/kubelet`
module that tools/cluster/go.mod pins (go.sum checks it), never committed.

The proto imports gogoproto for Go-only options (names, marshalers); they change nothing on
the wire, so they are stripped before grpcio-tools compiles it. Stubs land in
build/deviceplugin/<hash of the stripped proto>/, written to a temporary directory and renamed,
so concurrent first uses (a test and node/up.sh) never see half a module.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

__all__ = ["API_VERSION", "MODULE", "Stubs", "StubsUnavailable", "api_proto", "load", "strip_gogo"]

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools" / "cluster"
MODULE = "k8s.io/kubelet"
PROTO = "pkg/apis/deviceplugin/v1beta1/api.proto"
API_VERSION = "v1beta1"  # RegisterRequest.version the kubelet accepts
NAME = "deviceplugin_v1beta1"  # our name for the file: the generated modules' top-level names
_GOGO = (
    re.compile(r'^import "github\.com/gogo/protobuf/gogoproto/gogo\.proto";\n', re.M),
    re.compile(r"^option \(gogoproto\.[a-z_]+\) = *(true|false);\n", re.M),
    re.compile(r' \[\(gogoproto\.customname\) = "[A-Za-z]+"\]'),
)


class StubsUnavailable(RuntimeError):
    """The proto or grpcio-tools cannot be had here (the message says which and why)."""


class Stubs(NamedTuple):
    """The generated message module (`pb2`) and service module (`grpc`)."""

    pb2: Any
    grpc: Any


def _settings() -> dict[str, str]:
    """GO and GOMODCACHE as tools/cluster/env.sh declares them (the cluster's module cache)."""
    script = 'source "$0"; printf "%s\\n%s\\n" "$GO" "$GOMODCACHE"'
    out = subprocess.run(["bash", "-c", script, TOOLS / "env.sh"], capture_output=True,
                         text=True, check=True).stdout.split("\n")  # fmt: skip
    return {"GO": out[0], "GOMODCACHE": out[1]}


def api_proto() -> Path:
    """api.proto of the pinned k8s.io/kubelet: `go mod download` (cached; go.sum verifies it)."""
    found = _settings()
    if not os.access(found["GO"], os.X_OK):
        raise StubsUnavailable(f"no Go toolchain at {found['GO']} to fetch {MODULE}")
    env = {**os.environ, "GOMODCACHE": found["GOMODCACHE"], "GOTOOLCHAIN": "local",
           "GOFLAGS": "-mod=mod"}  # fmt: skip
    done = subprocess.run([found["GO"], "mod", "download", "-json", MODULE], cwd=TOOLS, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise StubsUnavailable(f"go mod download {MODULE} failed: {done.stdout}{done.stderr}")
    return Path(json.loads(done.stdout)["Dir"]) / PROTO


def strip_gogo(source: str) -> str:
    """The proto without its gogoproto import and options; an error if any other remains."""
    for pattern in _GOGO:
        source = pattern.sub("", source)
    if "gogoproto" in source:
        raise StubsUnavailable(f"{PROTO}: a gogoproto option this stripper does not know")
    return source


def _generate(proto: str, out: Path) -> None:
    """grpcio-tools on `proto` into `out` (atomically: a sibling temporary directory, renamed)."""
    try:
        from grpc_tools import protoc
    except ImportError:
        raise StubsUnavailable("grpcio-tools is not installed (make setup)") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".gen-", dir=out.parent))
    try:
        (work / f"{NAME}.proto").write_text(proto)
        include = Path(protoc.__file__).parent / "_proto"
        code = protoc.main(["protoc", f"-I{work}", f"-I{include}", f"--python_out={work}",
                            f"--grpc_python_out={work}", str(work / f"{NAME}.proto")])  # fmt: skip
        if code != 0:
            raise StubsUnavailable(f"grpc_tools.protoc failed on {PROTO} (exit {code})")
        try:
            work.rename(out)
        except OSError:  # another process made the same stubs first
            if not (out / f"{NAME}_pb2_grpc.py").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def load(build: Path = REPO / "build" / "deviceplugin") -> Stubs:
    """The stubs, generated on first use; raise StubsUnavailable where they cannot be."""
    proto = strip_gogo(api_proto().read_text())
    out = build / hashlib.sha256(proto.encode()).hexdigest()[:16]
    if not (out / f"{NAME}_pb2_grpc.py").exists():
        _generate(proto, out)
    if str(out) not in sys.path:
        sys.path.insert(0, str(out))  # the service module imports the message module by name
    modules: list[ModuleType] = [
        importlib.import_module(f"{NAME}{s}") for s in ("_pb2", "_pb2_grpc")
    ]
    return Stubs(*modules)
