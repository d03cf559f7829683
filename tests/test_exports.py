"""Every module of both distributions declares `__all__`, and every name in it exists."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

PACKAGES = ("infergraph", "infergraph_server")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if not info.name.rsplit(".", 1)[-1].endswith(("_pb2", "_pb2_grpc")):
                names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_module_declares_all(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it lacks: {missing}"


def test_generator_never_imports_the_server() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pkgutil, importlib, infergraph\n"
        "for m in pkgutil.walk_packages(infergraph.__path__, 'infergraph.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(any(k.startswith('infergraph_server') for k in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
