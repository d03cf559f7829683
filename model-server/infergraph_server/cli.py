"""`infergraph-server` entry point; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from infergraph_server import __version__
from infergraph_server.settings import SettingsError

__all__ = ["COMMAND_MODULES", "main"]

# The docstring above is the --help description. Only the chosen subcommand's module is
# imported (all of them for help and usage errors): a component server never imports the
# orchestrator, the gateway or the detectors. The console script is `entry`.

#: each subcommand and the module whose `register(subparsers)` adds it; one line adds one
COMMAND_MODULES = {
    "component": "infergraph_server.component.command",
    "orchestrator": "infergraph_server.orchestrator.command",
    "gateway": "infergraph_server.gateway",
    "detector": "infergraph_server.detectors.service",
    "logsink": "infergraph_server.logsink",
}


def _modules(argv: Sequence[str]) -> list[str]:
    """The subcommand's module when the arguments start with one; otherwise all of them."""
    if argv and argv[0] in COMMAND_MODULES:
        return [COMMAND_MODULES[argv[0]]]
    return list(COMMAND_MODULES.values())


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; exit 2 on bad settings."""
    arguments = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="infergraph-server", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _modules(arguments):
        importlib.import_module(name).register(subparsers)
    args = parser.parse_args(arguments)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"infergraph-server: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
