"""Each command imports what it runs and no more, so that it starts fast and its window for a
signal before any handler of its own is short: `infergraph validate` no compiler, renderer,
Helm, Docker or Kubernetes client; an `infergraph-server` subcommand none of its siblings."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from infergraph_server.cli import COMMAND_MODULES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = str(ROOT / "examples" / "ab-test.yaml")
#: what loading a graph never needs (the runners, the renderers, the cluster and the network)
NOT_FOR_LOADING = (
    "docker",
    "infergraph.render",
    "infergraph.up",
    "infergraph_server",
    "kubernetes",
    "numpy",
    "pyhelm3",
    "ssl",
)
#: what `compile` never needs
NOT_FOR_COMPILING = ("docker", "infergraph.up", "kubernetes", "numpy", "pyhelm3", "ssl")


def _imported_by(code: str) -> set[str]:
    """The modules a fresh interpreter holds after `code` has set `status` to 0 (on stderr,
    the command's own output going to stdout)."""
    script = (
        f"import sys\n{code}\nassert status == 0, status\nsys.stderr.write(' '.join(sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def _under(modules: set[str], roots: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m in roots or m.startswith(tuple(r + "." for r in roots)))


@pytest.mark.parametrize(
    ("command", "forbidden"),
    [
        (["validate", EXAMPLE], NOT_FOR_LOADING),
        (["--version"], NOT_FOR_LOADING),
        (["compile", EXAMPLE], NOT_FOR_COMPILING),
    ],
)
def test_infergraph_command_imports_only_its_needs(
    command: list[str], forbidden: tuple[str, ...]
) -> None:
    code = (
        "from infergraph.entry import main\n"
        f"sys.argv = ['infergraph', *{command!r}]\n"
        "try:\n    status = main()\nexcept SystemExit as done:\n    status = done.code or 0\n"
        "sys.stdout.flush()"
    )
    modules = _imported_by(code)
    assert "infergraph.cli" in modules
    assert _under(modules, forbidden) == []


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_server_subcommand_imports_no_sibling(name: str) -> None:
    code = (
        "from infergraph_server.cli import main\n"
        f"try:\n    status = main([{name!r}, '--help'])\nexcept SystemExit as done:\n"
        "    status = done.code or 0"
    )
    modules = _imported_by(code)
    siblings = [m for other, m in COMMAND_MODULES.items() if other != name]
    assert COMMAND_MODULES[name] in modules
    assert [m for m in siblings if m in modules] == []


@pytest.mark.parametrize(("name", "module"), sorted(COMMAND_MODULES.items()))
def test_server_command_module_registers_its_name(name: str, module: str) -> None:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    importlib.import_module(module).register(subparsers)
    assert list(subparsers.choices) == [name]
