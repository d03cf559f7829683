"""Helpers of the peer-client tests: SeldonClient calls through `.venv-peers`, answer checks."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import servers
from train_iris import train

REPO = Path(__file__).resolve().parents[2]

__all__ = [
    "IRIS_ROWS",
    "PEERS_PYTHON",
    "UP_MODEL_DIR",
    "assert_prediction",
    "call",
    "endpoint",
    "run_seldon_calls",
    "servers",
    "train",
]

PEERS_PYTHON = REPO / ".venv-peers" / "bin" / "python"
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
# `infergraph up` resolves pvc://CLAIM/PATH to build/volumes/CLAIM/PATH under its cwd.
UP_MODEL_DIR = Path("build/volumes/infergraph-models/iris")


def endpoint(launch: servers.Launch, transport: str) -> str:
    """host:port of a launched server for SeldonClient's transport."""
    return f"127.0.0.1:{launch.grpc_port if transport == 'grpc' else launch.http_port}"


def call(api: str, transport: str, where: str, payload_type: str = "ndarray") -> dict[str, Any]:
    """One call spec for seldon_calls.py, sending IRIS_ROWS."""
    return {"api": api, "transport": transport, "endpoint": where,
            "payload_type": payload_type, "rows": IRIS_ROWS}  # fmt: skip


def run_seldon_calls(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the calls with seldon-core's SeldonClient in the peers venv; its answers in order."""
    done = subprocess.run(
        [str(PEERS_PYTHON), str(Path(__file__).with_name("seldon_calls.py")), json.dumps(specs)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(answers) == len(specs)
    return answers


def assert_prediction(
    answer: dict[str, Any], payload_type: str, expected: list[list[float]]
) -> None:
    """The client succeeded, got its own data type back, and the model's probabilities."""
    assert answer["success"], answer["msg"]
    data = answer["response"]["data"]
    assert payload_type in data, f"sent {payload_type}, got {sorted(data)}"
    if payload_type == "tensor":
        assert data["tensor"]["shape"] == [len(expected), len(expected[0])]
        rows = [data["tensor"]["values"][i * 3 : i * 3 + 3] for i in range(len(expected))]
    else:
        rows = data["ndarray"]
    assert len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        assert all(map(math.isclose, got, want)), (got, want)
