"""`infergraph-server` entry point; each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import sys

from infergraph_server import __version__
from infergraph_server.settings import SettingsError

__all__ = ["COMMAND_MODULES", "main"]

# Modules defining `register(subparsers)`; add one line to add a subcommand.
COMMAND_MODULES = (
    "infergraph_server.component.command",
    "infergraph_server.orchestrator.command",
    "infergraph_server.gateway",
    "infergraph_server.detectors.service",
    "infergraph_server.logsink",
)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; exit 2 on bad settings."""
    parser = argparse.ArgumentParser(prog="infergraph-server", description=__doc__)
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except SettingsError as exc:
        print(f"infergraph-server: {exc}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
