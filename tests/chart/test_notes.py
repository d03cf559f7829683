"""NOTES.txt prints commands that reach the graph: the compiled paths, nothing left empty."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infergraph.compile import compile_values
from infergraph.loading import load

from .render import notes

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


def curl_commands(text: str) -> list[str]:
    """The printed curl commands, each with its continuation lines joined."""
    joined = re.sub(r"\\\n\s*", "", text)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("curl ")]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_notes_curl_the_compiled_paths(example: Path) -> None:
    values = compile_values(load(example))
    commands = curl_commands(notes(values))
    test = values["test"]
    assert [c.rsplit(" ", 1)[1] for c in commands] == [
        f"http://127.0.0.1:9000{test['path']}",
        f"http://$GATEWAY{test['gatewayPath']}",
    ]
    assert all(f"-d '{test['request']}'" in c for c in commands)
    assert test["gatewayPath"] == values["routing"]["prefix"] + test["path"][1:]
