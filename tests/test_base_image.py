"""tools/base_image.py: the cached debootstrap base is keyed by its recipe, so a package added to
its list names a new base (CI rebuilds it instead of reusing the old tarball), and every base,
debootstrap or python:3.11-slim, gets the system libraries the runtimes' wheels load; one
variable, INFERGRAPH_CACHE, moves every cache `make image` reads (a cold run in empty dirs)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from base_image import INCLUDE, RECIPE, RUNTIME_LIBRARIES, base_name, cache_dir

ROOT = Path(__file__).resolve().parents[1]
MIRROR = "http://deb.debian.org/debian"


def test_the_base_name_follows_the_package_list() -> None:
    name = base_name(MIRROR)
    assert base_name(MIRROR, dict(RECIPE)) == name  # the key is the recipe, nothing else
    added = {**RECIPE, "include": (*INCLUDE, "libstdc++6")}
    dropped = {**RECIPE, "include": tuple(p for p in INCLUDE if p != "libgomp1")}
    names = {name, base_name(MIRROR, added), base_name(MIRROR, dropped)}
    assert len(names) == 3, names
    assert base_name("http://mirror.example/debian") != name


def test_the_debootstrap_base_includes_the_runtime_libraries() -> None:
    """lightgbm's wheel loads libgomp.so.1, which Debian minbase does not have."""
    assert "libgomp1" in RUNTIME_LIBRARIES
    assert set(RUNTIME_LIBRARIES) <= set(INCLUDE)
    assert RECIPE["include"] == INCLUDE


def test_the_dockerfile_installs_the_same_libraries_on_any_base() -> None:
    """python:3.11-slim lacks libgomp1 too: the final stage installs what the base lacks."""
    text = (ROOT / "model-server" / "Dockerfile").read_text()
    final = text[text.rindex("\nFROM ${BASE_IMAGE}\n") :]
    declared = re.search(r'^ARG RUNTIME_LIBRARIES="([^"]*)"$', final, re.MULTILINE)
    assert declared, "the final stage declares no RUNTIME_LIBRARIES"
    assert tuple(declared.group(1).split()) == RUNTIME_LIBRARIES
    assert "apt-get install" in final and "${RUNTIME_LIBRARIES}" in final


def test_infergraph_cache_moves_the_base_and_wheel_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold machine is measured with empty caches beside the warm ones others use: the base
    tarball and the wheels are found only through cache_dir(), which the variable moves."""
    monkeypatch.setenv("INFERGRAPH_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    for tool in ("base_image.py", "build_image.py"):
        text = (ROOT / "tools" / tool).read_text()
        assert text.count("/var/cache") == (1 if tool == "base_image.py" else 0), tool
        assert tool == "base_image.py" or "cache_dir()" in text
