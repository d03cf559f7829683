"""The server image as the chart runs it: uid 10001, read-only root, a real iris prediction
through a port published on 127.0.0.1, hardened as rendered, nothing written outside /tmp."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import joblib
import numpy as np
import pytest
from packaging.utils import canonicalize_name

from infergraph.api import compile_values
from infergraph.compile.nodes import server_image
from infergraph.defaults import SERVER_IMAGE
from infergraph.loading import load
from infergraph.render import render_values
from tests.test_image_lock import gpu_variants, lock_file, locked, variants

from .conftest import REPO
from .docker import Docker, wait_http
from .pods import docker_run_args, pod_template
from .tier import build_variants

pytestmark = pytest.mark.containers

EXAMPLE = REPO / "examples" / "sklearn-single.yaml"
NODE = "iris-main-classifier"  # graph iris, predictor main, node classifier
HTTP = 9000
ROW = [5.1, 3.5, 1.4, 0.2]


def _node_template() -> dict[str, object]:
    """The node's pod template as helm renders the example."""
    template: dict[str, object] = pod_template(render_values(compile_values(load(EXAMPLE))), NODE)
    return template


def _predict(port: int) -> list[list[float]]:
    body = json.dumps({"data": {"ndarray": [ROW]}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1.0/predictions", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.load(response)
    result: list[list[float]] = answer["data"]["ndarray"]
    return result


def _expected(claims: Path) -> list[list[float]]:
    """The model's own answer, from the file the container serves."""
    model = joblib.load(claims / "infergraph-models" / "iris" / "model.joblib")
    result: list[list[float]] = model.predict_proba(np.array([ROW])).tolist()
    return result


def _serve(docker: Docker, claims: Path, *extra: str, read_only: bool = True) -> tuple[str, int]:
    """Start the rendered node container; its id and host port once ready."""
    args = docker_run_args(_node_template(), claims, HTTP)
    if not read_only:  # the same container with a writable root and no /tmp volume
        args = [a for a in args if a != "--read-only"]
        at = args.index("--tmpfs")
        del args[at : at + 2]
    container = docker.run(*extra, *args)
    port = docker.published(container, HTTP)
    try:
        wait_http(f"http://127.0.0.1:{port}/v2/health/ready")
    except TimeoutError as error:
        raise AssertionError(f"{error}\n{docker('logs', container)}") from None
    return container, port


def _written(docker: Docker, container: str) -> list[str]:
    """`docker diff` paths, less the mount points docker itself creates."""
    mounts = [m["Destination"] for m in docker.inspect(container)["Mounts"]]
    parents = {str(Path(m).parents[i]) for m in mounts for i in range(len(Path(m).parents))}
    paths = [line.split(maxsplit=1)[1] for line in docker("diff", container).splitlines()]
    return [p for p in paths if p not in mounts and p not in parents]


def test_image_runs_as_10001_with_read_only_root(image: str, docker: Docker) -> None:
    config = json.loads(docker("image", "inspect", image))[0]["Config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["infergraph-server"]
    probe = (
        "import errno, os, pathlib\n"
        "pathlib.Path('/tmp/probe').write_text('x')\n"
        "try:\n    pathlib.Path('/opt/infergraph/probe').write_text('x')\n"
        "except OSError as e:\n    print(os.getuid(), os.getgid(), errno.errorcode[e.errno])\n"
    )
    container = docker.run("--read-only", "--tmpfs", "/tmp", "--entrypoint", "python3", image,
                           "-c", probe)  # fmt: skip
    status = docker("wait", container).strip()
    out = docker("logs", container)
    docker("rm", container)
    assert (status, out.split()) == ("0", ["10001", "10001", "EROFS"]), out


def test_rendered_node_serves_a_prediction_hardened(
    image: str, docker: Docker, claims: Path
) -> None:
    container, port = _serve(docker, claims)
    assert np.allclose(_predict(port), _expected(claims))
    host = docker.inspect(container)["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert docker.inspect(container)["Config"]["User"] == "10001:10001"
    assert docker("exec", container, "id", "-u").strip() == "10001"
    assert _written(docker, container) == []
    docker("rm", "-f", container)


def test_writable_root_shows_writes_only_under_tmp(
    image: str, docker: Docker, claims: Path
) -> None:
    """Without the read-only root, the server still writes nothing outside /tmp."""
    container, port = _serve(docker, claims, read_only=False)
    assert np.allclose(_predict(port), _expected(claims))
    written = _written(docker, container)
    docker("rm", "-f", container)
    assert [p for p in written if p != "/tmp" and not p.startswith("/tmp/")] == []


def test_unknown_security_field_is_refused(tmp_path: Path) -> None:
    template = _node_template()
    spec = template["spec"]
    assert isinstance(spec, dict)
    spec["containers"][0]["securityContext"]["privileged"] = True
    with pytest.raises(ValueError, match=r"securityContext\.privileged"):
        docker_run_args(template, tmp_path, HTTP)


@pytest.mark.parametrize("variant", [None, *(v for v in variants() if v not in gpu_variants())])
def test_image_holds_exactly_the_lock(image: str, docker: Docker, variant: str | None) -> None:
    """The venv is the lock plus our distribution: no pip, no setuptools, nothing unpinned; a
    variant, built FROM the default image with only the wheels it adds, holds exactly its own
    lock (a version it pins differently replaces the default's)."""
    if variant is not None:
        build_variants({variant})
    listing = (
        "import importlib.metadata as m, json;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    container = docker.run(
        "--read-only", "--entrypoint", "python3", server_image(variant), "-c", listing
    )
    assert docker("wait", container).strip() == "0"
    installed = json.loads(docker("logs", container))
    docker("rm", container)
    expected = {name: version for name, (version, _) in locked(lock_file(variant)).items()}
    expected["infergraph-server"] = SERVER_IMAGE.rpartition(":")[2]
    assert {canonicalize_name(k): v for k, v in installed.items()} == expected
