"""The curl commands NOTES.txt prints answer, run by a shell against `infergraph up`.

The port-forward's local port becomes the orchestrator's port under `up`, and GATEWAY the
local gateway's address; the commands are otherwise run as printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from infergraph.compile import compile_values
from infergraph.loading import load
from tests.chart.render import notes
from tests.chart.test_notes import curl_commands
from tests.local_examples import runs_on_our_servers

from .up import EXAMPLES, Up

pytestmark = pytest.mark.e2e_local


@pytest.mark.parametrize(
    "example", sorted(p.name for p in EXAMPLES.glob("*.yaml") if runs_on_our_servers(p))
)
def test_printed_curl_commands_answer(workdir: Path, example: str) -> None:
    text = notes(compile_values(load(EXAMPLES / example)))
    predictor = re.search(r"Send a first request to predictor (\S+):", text)
    assert predictor, text
    commands = curl_commands(text)
    assert len(commands) == 2, text
    with Up(example, workdir) as up:
        local = f"http://127.0.0.1:{up.ports[f'orchestrator {predictor[1]}']}/"
        environment = {**os.environ, "GATEWAY": f"127.0.0.1:{up.port}"}
        for command in commands:
            command = command.replace("http://127.0.0.1:9000/", local)
            done = subprocess.run(
                ["bash", "-c", command], env=environment, capture_output=True, text=True, timeout=60
            )
            assert done.returncode == 0, (command, done.stderr)
            answer = json.loads(done.stdout)
            assert {"data", "outputs"} & set(answer), (command, answer)
