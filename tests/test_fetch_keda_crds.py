"""tools/fetch_keda_crds.py: the vendored KEDA schemas are what the pinned module zip yields.

Offline: the zip is taken from the Go module cache when `go mod download` has put it there
(the cluster tier does); without it the check is skipped with one reason line.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "fetch_keda_crds.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_keda_crds", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cached_zip(module: str, version: str) -> Path | None:
    go = shutil.which("go")
    cache = os.environ.get("GOMODCACHE")
    if cache is None and go is not None:
        found = subprocess.run([go, "env", "GOMODCACHE"], capture_output=True, text=True)
        cache = found.stdout.strip() or None
    if cache is None:
        return None
    path = Path(cache) / "cache" / "download" / module / "@v" / f"{version}.zip"
    return path if path.exists() else None


def test_vendored_schemas_are_the_pinned_release_unmodified() -> None:
    tool = _tool()
    archive = _cached_zip(tool.MODULE, tool.VERSION)
    if archive is None:
        pytest.skip(f"{tool.MODULE}@{tool.VERSION} not in the Go module cache (go mod download)")
    data = archive.read_bytes()
    assert hashlib.sha256(data).hexdigest() == tool.ZIP_SHA256
    files = tool.extract(data)
    assert sorted(files) == sorted(name for _, name in tool.CRDS.values())
    for name, text in files.items():
        assert (tool.OUT / name).read_text() == text, name
