"""What every tier shares: the commands the tests start take Ctrl-C as from a terminal.

A run started in the background by a script (`make test &`, `nohup`) inherits SIGINT ignored,
and so would every command it starts: Python then installs no handler of its own, and the tests
that send SIGINT (an interrupted read, start-up, `infergraph up`) would wait on a command that
rightly ignores it. The session puts SIGINT back to Python's default handler, which its children
see as the default action.
"""

from __future__ import annotations

import signal


def pytest_configure() -> None:
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
