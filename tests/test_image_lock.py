"""The image's lock, the server distribution's dependencies and the Dockerfile stay in step.

model-server/requirements.lock (written by `make lock`) pins every runtime dependency by
version and hash; the Dockerfile installs exactly it, offline, then our wheel without
dependencies. The container tier checks the built image holds exactly the lock.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from build_image import lock_file, variants

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "model-server"
LOCK = SERVER / "requirements.lock"
DOCKERFILE = SERVER / "Dockerfile"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")
IMAGE_EXTRAS = ("tracing",)  # extras the image carries: `make lock` compiles them in
LINUX = {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11"}


def locked(lock: Path = LOCK) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} from the lock."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in lock.read_text().splitlines():
        if match := _PIN.match(line):
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def test_lock_pins_every_dependency_with_hashes() -> None:
    pins = locked()
    assert pins, "the lock pins nothing"
    assert all(hashes > 0 for _, hashes in pins.values()), "a pin without --hash"
    assert "make lock" in LOCK.read_text().split("\n\n")[0], "the header names `make lock`"


def test_lock_satisfies_the_distribution_dependencies() -> None:
    project = tomllib.loads((SERVER / "pyproject.toml").read_text())["project"]
    pins = locked()
    problems = []
    extras = [s for e in IMAGE_EXTRAS for s in project["optional-dependencies"][e]]
    for spec in [*project["dependencies"], *extras]:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate(LINUX):
            continue
        name = canonicalize_name(requirement.name)
        if name not in pins:
            problems.append(f"{requirement.name}: not in the lock; run `make lock`")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement.name}: locked {pins[name][0]} is not {spec!r}")
    assert problems == []
    assert canonicalize_name(project["name"]) not in pins  # ours comes from our wheel
    make_lock = (ROOT / "mk" / "image.mk").read_text()
    assert all(f"--extra {e}" in make_lock for e in IMAGE_EXTRAS)


def test_dockerfile_installs_the_lock_offline() -> None:
    text = DOCKERFILE.read_text()
    install_lock = re.search(r"pip install ([^&]*)-r /build/requirements\.lock", text)
    assert install_lock, "the Dockerfile does not install requirements.lock"
    for flag in ("--no-index", "--require-hashes", "--only-binary=:all:"):
        assert flag in install_lock.group(1), flag
    assert re.search(r"pip install --no-index --no-deps [^&]*/build/dist/\*\.whl", text)
    assert "COPY requirements.lock /build/requirements.lock" in text
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.MULTILINE)
    assert "--python-version 3.11" in (ROOT / "mk" / "image.mk").read_text()
    assert "USER 10001:10001" in text


def test_every_variant_lock_and_no_other_exists() -> None:
    found = sorted(p.name for p in SERVER.glob("requirements-*.lock"))
    assert found == sorted(f"requirements-{v}.lock" for v in variants()), "run `make lock`"


@pytest.mark.parametrize("variant", list(variants()))
def test_a_variant_lock_is_the_lock_plus_its_extras(variant: str) -> None:
    """Same pins as the default image's lock for what they share, hashes for every pin, and
    each extra's requirements satisfied."""
    base, pins = locked(), locked(lock_file(variant))
    assert all(hashes > 0 for _, hashes in pins.values()), "a pin without --hash"
    assert {n: v for n, (v, _) in pins.items() if n in base} == {n: v for n, (v, _) in base.items()}
    extras = tomllib.loads((SERVER / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for extra in variants()[variant]:
        for spec in extras[extra]:
            requirement = Requirement(spec)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{spec}: not in the {variant} lock; run `make lock`"
            assert requirement.specifier.contains(pins[name][0], prereleases=True), spec
