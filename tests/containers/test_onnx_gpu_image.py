"""The `-onnx-gpu` image, proven as far as a machine without a GPU can prove it.

It holds exactly its lock (onnxruntime-gpu, NVIDIA's CUDA 13 and cuDNN 9 wheels, not the CPU
onnxruntime); its onnxruntime offers the CUDA provider; every library that provider links is in
the image but the driver's libcuda.so.1, found by `ldd` with the wheels' directories on the
library path and by the server's own preload without one; and a node rendered with an
nvidia.com/gpu limit, run here without a GPU, never turns ready and says why. That CUDA then
runs the session needs a GPU machine (README "Runtimes"). The image is ~3 GB, so the tier does
not build it: `make images VARIANTS=onnx-gpu` first, else these tests skip.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.utils import canonicalize_name
from train_runtimes import TRAINERS

from infergraph.api import compile_values
from infergraph.compile.nodes import server_image
from infergraph.defaults import SERVER_IMAGE
from infergraph.loading import load_text
from infergraph.render import render_values
from tests.test_image_lock import lock_file, locked

from .conftest import REPO
from .docker import Docker
from .pods import docker_run_args, pod_template

pytestmark = pytest.mark.containers

VARIANT = "onnx-gpu"
IMAGE = server_image(VARIANT)
CUDA = "CUDAExecutionProvider"
DRIVER = "libcuda.so.1"  # NVIDIA's driver library: the host's, mounted by its container runtime
HTTP = 9000
FAILS_WITHIN_S = 120
#: what a script run in the image prints: the CUDA provider library and the wheels' lib dirs
_PATHS = (
    "import json, pathlib, onnxruntime\n"
    "site = pathlib.Path(onnxruntime.__file__).parents[1]\n"
    "cuda = site / 'onnxruntime/capi/libonnxruntime_providers_cuda.so'\n"
    "dirs = sorted(str(d) for d in site.glob('nvidia/*/lib'))\n"
)


@pytest.fixture(scope="module")
def built(docker: Docker) -> bool:
    """True when `make images VARIANTS=onnx-gpu` has built the image."""
    return docker("image", "inspect", IMAGE, check=False).strip() not in ("", "[]")


def _image(built: bool) -> str:
    """The image, else a skip: raised here, the tests' skips fold into one reason line."""
    if not built:
        pytest.skip(f"containers: {IMAGE} is not built (make images VARIANTS={VARIANT}, ~3 GB)")
    return IMAGE


def _python(docker: Docker, image: str, code: str) -> str:
    """The output of `python3 -c code` in the image, hardened as the chart runs it; it must
    exit 0."""
    container = docker.run("--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                           "--entrypoint", "python3", image, "-c", code)  # fmt: skip
    status = docker("wait", container).strip()
    out = docker("logs", container)
    docker("rm", container)
    assert status == "0", out
    return out


def test_it_holds_exactly_its_lock_and_not_the_cpu_onnxruntime(built: bool, docker: Docker) -> None:
    listing = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    out = _python(docker, _image(built), listing)
    installed = {canonicalize_name(k): v for k, v in json.loads(out).items()}
    expected = {name: version for name, (version, _) in locked(lock_file(VARIANT)).items()}
    expected["infergraph-server"] = SERVER_IMAGE.rpartition(":")[2]
    assert installed == expected
    assert "onnxruntime" not in installed and installed["onnxruntime-gpu"] == "1.31.1"


def test_its_onnxruntime_offers_the_cuda_provider(built: bool, docker: Docker) -> None:
    code = "import onnxruntime as ort; print(ort.get_available_providers())"
    out = _python(docker, _image(built), code)
    print(f"\n{IMAGE}: {out.strip()}")
    assert CUDA in out


def _ldd(text: str) -> dict[str, str]:
    """soname -> where ldd found it ("not found" when it did not)."""
    found = {}
    for line in text.splitlines():
        name, arrow, where = line.strip().partition(" => ")
        if arrow:
            found[name] = where.rsplit(" (", 1)[0]
    return found


def test_ldd_finds_every_library_of_the_cuda_provider_but_the_drivers(
    built: bool, docker: Docker
) -> None:
    """With the CUDA wheels' lib directories on the library path (nvidia/cu13/lib: cuBLAS,
    cuRAND, the CUDA runtime, ...; nvidia/cudnn/lib), `ldd` resolves everything the provider
    links, transitively, except libcuda.so.1."""
    code = _PATHS + (  # prints the two, and ldd's lines
        "import os, subprocess\n"
        "env = dict(os.environ, LD_LIBRARY_PATH=':'.join(dirs))\n"
        "ldd = subprocess.run(['ldd', str(cuda)], env=env, capture_output=True, text=True)\n"
        "print(json.dumps({'dirs': dirs, 'ldd': ldd.stdout}))\n"
    )
    out = _python(docker, _image(built), code)
    report = json.loads(out)
    found = _ldd(report["ldd"])
    missing = sorted(name for name, where in found.items() if where == "not found")
    assert missing == [DRIVER], report["ldd"]
    cu13 = next(d for d in report["dirs"] if d.endswith("/nvidia/cu13/lib"))
    for name in ("libcublasLt.so.13", "libcublas.so.13", "libcurand.so.10", "libcudart.so.13"):
        assert found[name] == f"{cu13}/{name}", report["ldd"]
    assert any(d.endswith("/nvidia/cudnn/lib") for d in report["dirs"]), report["dirs"]


def test_the_servers_preload_leaves_only_the_driver_missing(built: bool, docker: Docker) -> None:
    """Without LD_LIBRARY_PATH, the server's preload_cuda (onnxruntime's preload_dlls) loads
    the wheels' CUDA and cuDNN libraries, so loading the provider fails on libcuda.so.1 alone;
    preload_dlls printed nothing (it names each library it could not load)."""
    code = _PATHS + (
        "import ctypes, logging\n"
        "logging.basicConfig(format='LOG %(message)s')\n"
        "from infergraph_server.component.prepackaged.onnx import preload_cuda\n"
        "preload_cuda(onnxruntime)\n"
        "try:\n    ctypes.CDLL(str(cuda))\nexcept OSError as e:\n    print('OSError', e)\n"
    )
    out = _python(docker, _image(built), code)
    assert "LOG " not in out, out
    assert (
        out.strip()
        == f"OSError {DRIVER}: cannot open shared object file: No such file or directory"
    )


def _gpu_node_template(claims: Path) -> dict[str, Any]:
    """examples/onnx.yaml with an nvidia.com/gpu limit on its node, rendered by helm: its node's
    pod template; the claim it mounts holds an iris model converted by skl2onnx."""
    graph = yaml.safe_load((REPO / "examples" / "onnx.yaml").read_text())
    graph["spec"]["predictors"][0]["graph"]["resources"] = {"limits": {"nvidia.com/gpu": 1}}
    model = claims / "infergraph-models" / "iris-onnx"
    model.mkdir(parents=True)
    TRAINERS["onnx"](model)
    claims.joinpath("infergraph-models").chmod(0o755)
    values = compile_values(load_text(yaml.safe_dump(graph), "onnx-gpu.yaml"))
    template: dict[str, Any] = pod_template(render_values(values), "iris-onnx-main-classifier")
    return template


def test_a_gpu_node_without_a_gpu_never_turns_ready_and_says_why(
    built: bool, docker: Docker, tmp_path: Path
) -> None:
    """The compiler writes the `-onnx-gpu` image and INFERGRAPH_GPUS=1; the container, run as
    rendered but without a GPU, exits 1 without ever answering ready, and its log carries the
    server's confirm() error: the session ran on the CPU alone. (The same, measured with the
    variant's wheels outside Docker: README "Runtimes".)"""
    image = _image(built)
    template = _gpu_node_template(tmp_path / "claims")
    (container,) = template["spec"]["containers"]
    assert container["image"] == image
    assert {"name": "INFERGRAPH_GPUS", "value": "1"} in container["env"]
    started = docker.run(*docker_run_args(template, tmp_path / "claims", HTTP))
    deadline, ready = time.monotonic() + FAILS_WITHIN_S, []
    while docker.inspect(started)["State"]["Running"] and time.monotonic() < deadline:
        ready.append(_ready(docker, started))
        time.sleep(0.5)
    state, logs = docker.inspect(started)["State"], docker.logs(started)
    docker("rm", "-f", started)
    assert (state["Running"], state["ExitCode"]) == (False, 1), logs
    assert True not in ready, logs
    assert (
        "startup failed: OnnxServer.load: RuntimeError: gpus: the node asks for 1 GPU(s) but"
        " onnxruntime could not start its CUDAExecutionProvider (the session runs on"
        " CPUExecutionProvider); the node needs a visible GPU (NVIDIA's driver and container"
        ' runtime) and the image variant "-onnx-gpu"' in logs
    ), logs
    # the preload found every CUDA library: onnxruntime failed on the driver's alone (without
    # it, on libcublasLt.so.13)
    assert f"libonnxruntime_providers_cuda.so with error: {DRIVER}: cannot open" in logs, logs


def _ready(docker: Docker, container: str) -> bool:
    """True when the container's readiness path answers 200 (False once it has gone)."""
    try:
        port = docker.published(container, HTTP)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=2) as r:
            return bool(r.status == 200)
    except (OSError, KeyError, TypeError, ValueError, urllib.error.HTTPError):
        return False
