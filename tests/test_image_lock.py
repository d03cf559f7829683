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
from build_image import VARIANT_DOCKERFILE, gpu_variants, lock_file, variants
from image_locks import added_pins, read_lock, write_lock

from infergraph.vocabulary import VOCABULARY, Implementation

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "model-server"
LOCK = SERVER / "requirements.lock"
DOCKERFILE = SERVER / "Dockerfile"
IMAGE_EXTRAS = ("tracing",)  # extras the image carries: `make lock` compiles them in
LINUX = {"sys_platform": "linux", "platform_system": "Linux", "python_version": "3.11"}


def locked(lock: Path = LOCK) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} from the lock."""
    return {name: (pin.version, pin.hashes) for name, pin in read_lock(lock).items()}


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
    """Every package of the default image's lock (the variant image is built FROM it), hashes
    for every pin, and each extra's requirements satisfied."""
    base, pins = locked(), locked(lock_file(variant))
    assert all(hashes > 0 for _, hashes in pins.values()), "a pin without --hash"
    assert base.keys() <= pins.keys(), "run `make lock`"
    assert added_pins(LOCK, lock_file(variant)), "the variant adds nothing to the default image"
    extras = tomllib.loads((SERVER / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    for extra in variants()[variant]:
        for spec in extras[extra]:
            requirement = Requirement(spec)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{spec}: not in the {variant} lock; run `make lock`"
            assert requirement.specifier.contains(pins[name][0], prereleases=True), spec


def _extra_names(extra: str) -> set[str]:
    extras = tomllib.loads((SERVER / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    return {canonicalize_name(Requirement(spec).name) for spec in extras[extra]}


@pytest.mark.parametrize(
    "declared",
    [d for d in VOCABULARY.implementations.values() if d.gpu_image],
    ids=lambda d: d.name,
)
def test_a_gpu_variant_holds_the_gpu_build_alone(declared: Implementation) -> None:
    """`-onnx-gpu` holds onnxruntime-gpu and NVIDIA's CUDA 13 wheels, not the CPU onnxruntime:
    both wheels own the module `onnxruntime`, and the one installed last would win. cuBLAS is
    there though onnxruntime-gpu's `cuda` extra omits it (its CUDA provider links it)."""
    assert declared.gpu_image is not None and declared.extra is not None
    pins = locked(lock_file(declared.gpu_image.variant))
    assert variants()[declared.gpu_image.variant] == [declared.gpu_image.extra]
    assert declared.gpu_image.variant in gpu_variants()  # `make images` builds it only by name
    assert _extra_names(declared.gpu_image.extra) <= pins.keys()
    assert not _extra_names(declared.extra) & pins.keys()
    if declared.name == "ONNX_SERVER":
        cuda = {n: v for n, (v, _) in pins.items() if n.startswith("nvidia-")}
        assert {"nvidia-cublas", "nvidia-cuda-runtime", "nvidia-cudnn-cu13"} <= cuda.keys()
        assert cuda["nvidia-cublas"].split(".")[0] == cuda["nvidia-cuda-runtime"][:2] == "13"


def _pin(name: str, version: str, via: str = "infergraph-server") -> str:
    return f"{name}=={version} \\\n    --hash=sha256:{name[0] * 64}\n    # via {via}\n"


def test_a_variant_installs_what_it_adds_and_what_it_pins_differently(tmp_path: Path) -> None:
    """The same version under another `# via` is the default image's; a new package and a new
    version of a shared one are the variant's to install (its version wins)."""
    default, variant = tmp_path / "requirements.lock", tmp_path / "requirements-v.lock"
    default.write_text("# header\n" + _pin("numpy", "2.4.6") + _pin("Scipy", "1.16.0"))
    variant.write_text(
        "# header\n"
        + _pin("lightgbm", "4.7.0")
        + _pin("numpy", "2.4.6", via="lightgbm")
        + _pin("scipy", "1.17.0")
    )
    added = added_pins(default, variant)
    assert [(p.name, p.version) for p in added] == [("lightgbm", "4.7.0"), ("scipy", "1.17.0")]
    out = tmp_path / "variant.lock"
    write_lock(added, out, "what v adds")
    assert read_lock(out) == {p.name: p for p in added}
    assert [p.hashes for p in added] == [1, 1]


def test_a_variant_lock_that_drops_a_default_package_is_refused(tmp_path: Path) -> None:
    default, variant = tmp_path / "requirements.lock", tmp_path / "requirements-v.lock"
    default.write_text(_pin("numpy", "2.4.6") + _pin("scipy", "1.16.0"))
    variant.write_text(_pin("numpy", "2.4.6"))
    with pytest.raises(ValueError, match=r"requirements-v\.lock: lacks scipy of requirements"):
        added_pins(default, variant)


def test_the_variant_dockerfile_installs_only_its_lock_offline_on_the_default_image() -> None:
    text = VARIANT_DOCKERFILE.read_text()
    assert re.search(r"^FROM \$\{SERVER_IMAGE\}$", text, re.MULTILINE)
    install = re.search(r"pip install ([^&]*)-r /build/variant\.lock", text)
    assert install, "the variant Dockerfile does not install variant.lock"
    for flag in ("--no-index", "--require-hashes", "--only-binary=:all:", "--no-deps"):
        assert flag in install.group(1), flag
    assert "pip uninstall --yes --quiet pip setuptools" in text
    assert text.rstrip().endswith("USER 10001:10001")
