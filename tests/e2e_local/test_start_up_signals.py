"""Ctrl-C or SIGTERM at any moment of a console script's start-up: no traceback, exit 130 / 143.

Both scripts start in a module (`infergraph.entry`, `infergraph_server.entry`) that makes the
two signals end the process quietly before anything of ours is imported. The sweep spans the
whole import window (well under a second here) and goes past it: each command then blocks
opening a FIFO nobody writes, where the command's own handling takes over (`infergraph` prints
its one `interrupted` line; the server has not started serving, so it still exits quietly).
Delays count from the entry's handlers (bench/start_up.py): before our first line the
interpreter's own start-up and `site` run, and a signal there is Python's to report, not ours.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest
from start_up import interrupt

pytestmark = pytest.mark.e2e_local

BIN = Path(sys.executable).parent
#: seconds after the entry's handlers are in place: through the imports and past them
DELAYS = (0.0, 0.003, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4, 0.8)
#: console script and arguments, each ending in the FIFO it blocks on once imported
COMMANDS = {
    "infergraph validate": ("infergraph", "validate"),
    "infergraph render": ("infergraph", "render"),
    "infergraph-server orchestrator": ("infergraph-server", "orchestrator", "--graph"),
}


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "graph.yaml"
    os.mkfifo(path)
    return path


def _command(name: str, fifo: Path) -> list[str]:
    script, *args = COMMANDS[name]
    return [str(BIN / script), *args, str(fifo)]


@pytest.mark.parametrize("delay", DELAYS)
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_sigint_during_start_up_exits_130_quietly(name: str, delay: float, fifo: Path) -> None:
    outcome = interrupt(_command(name, fifo), delay, from_entry=True, cwd=fifo.parent)
    assert outcome.entry_s is not None, f"no SIGTERM handler before the imports: {outcome}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.returncode == 130, outcome
    assert outcome.stderr in ("", f"{name}: interrupted\n"), outcome.stderr


@pytest.mark.parametrize("delay", (0.0, 0.03, 0.2))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_sigterm_during_start_up_exits_143_quietly(name: str, delay: float, fifo: Path) -> None:
    outcome = interrupt(
        _command(name, fifo), delay, sig=signal.SIGTERM, from_entry=True, cwd=fifo.parent
    )
    assert outcome.entry_s is not None, f"no SIGTERM handler before the imports: {outcome}"
    assert (outcome.returncode, outcome.stderr) == (143, ""), outcome
