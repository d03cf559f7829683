"""A variant image is the default image plus what its lock adds (model-server/variant.Dockerfile):
a version the variant pins differently replaces the default's, files and metadata, and nothing
else changes. Proven with two wheels made here: a new package, and `idna` at a version the
default lock does not pin (the real variants' locks share every pin today)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from infergraph.defaults import SERVER_IMAGE
from tests.test_image_lock import VARIANT_DOCKERFILE, locked

from .docker import Docker

pytestmark = pytest.mark.containers

REPLACED = ("idna", "99.0")  # the default lock pins idna 3.20
ADDED = ("infergraph-probe", "1.0")


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _wheel(directory: Path, name: str, version: str, module: str) -> Path:
    """A pure-Python wheel holding `module/__init__.py` with its version."""
    dist = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        f"{dist}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ).encode(),
        f"{dist}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = f"{dist}.dist-info/RECORD"
    lines = [_record_line(path, data) for path, data in files.items()] + [f"{record},,"]
    path = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in [*files.items(), (record, "\n".join(lines).encode() + b"\n")]:
            archive.writestr(zipfile.ZipInfo(member, (1980, 1, 1, 0, 0, 0)), data)
    return path


def _context(root: Path) -> Path:
    """variant.lock (hash-pinned, as tools/build_image.py writes it) and wheels/."""
    wheels = root / "wheels"
    wheels.mkdir(parents=True)
    lock = ["# the test's variant"]
    for name, version in (ADDED, REPLACED):
        wheel = _wheel(wheels, name, version, name.replace("-", "_"))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        lock.append(f"{name}=={version} \\\n    --hash=sha256:{digest}")
    (root / "variant.lock").write_text("\n".join(lock) + "\n")
    return root


def _install_stage(output: str) -> str:
    """The id of the build's last install-stage image (classic builder output)."""
    steps = re.split(r"^Step \d+/\d+ : ", output, flags=re.MULTILINE)
    final = max(i for i, step in enumerate(steps) if step.startswith("FROM ${SERVER_IMAGE}\n"))
    ids = re.findall(r"^ ---> ([0-9a-f]{12})$", "".join(steps[:final]), re.MULTILINE)
    return ids[-1]


def test_a_variant_adds_its_wheels_and_its_own_pin_wins(
    image: str, docker: Docker, tmp_path: Path
) -> None:
    tag = f"infergraph-test-variant:{docker.session}"
    output = docker(
        "build", "--file", str(VARIANT_DOCKERFILE), "--tag", tag,
        "--build-arg", f"SERVER_IMAGE={image}", "--build-arg", "VARIANT=test",
        str(_context(tmp_path / "context")),
    )  # fmt: skip
    try:
        probe = (
            "import importlib.metadata as m, json, pathlib, idna, infergraph_probe;"
            "print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]"
            " + [[idna.__version__, sorted(p.name for p in"
            " pathlib.Path(idna.__file__).parent.iterdir() if p.suffix == '.py')]]))"
        )
        container = docker.run("--read-only", "--entrypoint", "python3", tag, "-c", probe)
        assert docker("wait", container).strip() == "0", docker("logs", container)
        *installed, (version, sources) = json.loads(docker("logs", container))
        docker("rm", container)
        labels = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", tag))
    finally:
        docker("rmi", tag, _install_stage(output), check=False)
    names = [canonicalize_name(name) for name, _ in installed]
    assert len(names) == len(set(names)), names  # the replaced idna left no metadata behind
    expected = {name: v for name, (v, _) in locked().items()}
    expected |= {"infergraph-server": SERVER_IMAGE.rpartition(":")[2], ADDED[0]: ADDED[1]}
    expected[REPLACED[0]] = REPLACED[1]
    assert {canonicalize_name(n): v for n, v in installed} == expected
    assert (version, sources) == (REPLACED[1], ["__init__.py"])  # idna 3.20's files are gone
    assert labels["User"] == "10001:10001" and labels["Entrypoint"] == ["infergraph-server"]
    assert labels["Labels"]["io.infergraph.variant"] == "test"
