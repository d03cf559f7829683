"""The `infergraph` console script: SIGINT and SIGTERM end it quietly from its first line on.

A console script imports its module before it calls `main`, and `cli.main` maps Ctrl-C to one
line and exit 130 only once it runs: a signal during the imports printed a KeyboardInterrupt
traceback. This module imports nothing of ours, so its handlers are in place before the CLI's
imports start; they exit at once with the shell's status for the signal. Once the CLI is
imported SIGINT raises KeyboardInterrupt again, which `cli.main` (and the atomic writes under
it) handle; SIGTERM keeps its quiet exit, as abrupt as the default action it replaces.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

__all__ = ["STOP_SIGNALS", "exit_status", "main"]

#: the signals that stop a command (and `infergraph up`'s supervisor)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_status(signum: int) -> int:
    """The status a shell reports for a process the signal ended: 130 SIGINT, 143 SIGTERM."""
    return 128 + signum


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    os._exit(exit_status(signum))  # nothing is written yet: no buffer to flush, no traceback


def main() -> int:
    """Install the quiet handlers, then import and run the CLI."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _exit_quietly)
    from .cli import main as cli_main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return cli_main()
    except KeyboardInterrupt:  # while parsing the arguments, before a command ran
        return exit_status(signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
