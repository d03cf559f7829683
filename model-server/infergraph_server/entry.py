"""The `infergraph-server` console script: SIGINT and SIGTERM end it quietly from its first line.

A console script imports its module before it calls `main`; a signal during those imports (and
the subcommand's, numpy and scikit-learn among them) printed a KeyboardInterrupt traceback,
or for SIGTERM died without a word. This module imports nothing of ours, so its handlers are in
place before the imports start, and they stay until the event loop installs the runner's
graceful ones: until then a signal exits at once with the shell's status for it.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

__all__ = ["STOP_SIGNALS", "exit_status", "main"]

#: the signals that stop a server (the runner's graceful shutdown once it serves)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def exit_status(signum: int) -> int:
    """The status a shell reports for a process the signal ended: 130 SIGINT, 143 SIGTERM."""
    return 128 + signum


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    os._exit(exit_status(signum))  # nothing is serving yet: no request to drain, no traceback


def main() -> int:
    """Install the quiet handlers, then import and run the CLI."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _exit_quietly)
    from infergraph_server.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
