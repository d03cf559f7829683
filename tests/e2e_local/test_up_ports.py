"""`infergraph up` owns its ports: every planned port is checked before anything starts, and
no process of ours shares a port with another process (SO_REUSEPORT only among workers)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from infergraph.api import compile_values
from infergraph.cli import main
from infergraph.loading import load
from infergraph.local import plan_local
from infergraph.up import run_up

from .up import EXAMPLES, Up, free_port_block, post

BIN = Path(sys.executable).parent


@contextmanager
def listening(port: int) -> Iterator[socket.socket]:
    """Another process's listener on loopback `port`, bound with SO_REUSEPORT as ours were."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield sock


@pytest.mark.parametrize("port", ["0", "70000", "-1", "http"])
def test_port_outside_1_to_65535_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["up", str(EXAMPLES / "sklearn-single.yaml"), "--port", port])
    assert exit_.value.code == 2
    assert f'"{port}" is not a TCP port; expected 1..65535' in capsys.readouterr().err


def test_planned_ports_past_65535_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["up", str(EXAMPLES / "shadow.yaml"), "--port", "65530"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "infergraph up: --port 65530: this graph needs ports 65530-65542, past 65535; lower it\n"
    )


def test_a_busy_planned_port_stops_up_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    graph = load(EXAMPLES / "sklearn-single.yaml")
    base = free_port_block()
    node_metrics = base + 3  # gateway base; the node's http, grpc, metrics follow
    with listening(node_metrics):
        assert run_up(graph, port=base) == 1
    err = capsys.readouterr().err
    assert err == (
        f"infergraph up: port {node_metrics} (node main/classifier metrics) is in use; "
        f"this graph needs ports {base}-{base + 6}: choose another --port\n"
    )


def test_the_plan_lists_every_port_once() -> None:
    graph = load(EXAMPLES / "shadow.yaml")
    plan = plan_local(graph, compile_values(graph), 7000, "/run", "/work", "v")
    ports = [port for port, _ in plan.listeners()]
    assert ports == list(range(7000, 7000 + 1 + 3 * 4))  # gateway; 2 nodes + 2 orchestrators


@pytest.mark.e2e_local
def test_a_second_up_on_the_same_port_fails_naming_it(workdir: Path) -> None:
    with Up("sklearn-single.yaml", workdir) as up:
        second = subprocess.run(
            [str(BIN / "infergraph"), "up", str(EXAMPLES / "sklearn-single.yaml"),
             "--port", str(up.port)],
            cwd=workdir, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert second.returncode == 1, second.stdout + second.stderr
        assert second.stderr.startswith(f"infergraph up: ports {up.port} (gateway http), ")
        assert second.stderr.count("\n") == 1 and "ready" not in second.stdout
        status, _, _ = post(
            up.connection(), "/api/v1.0/predictions", {"data": {"ndarray": [[1.0, 2.0, 3.0, 4.0]]}}
        )
        assert status == 200  # the first graph is untouched


@pytest.mark.e2e_local
@pytest.mark.parametrize("flag", ["--http-port", "--grpc-port", "--metrics-port"])
def test_a_single_worker_server_does_not_share_a_port(flag: str, tmp_path: Path) -> None:
    base = free_port_block(3)
    ports = dict(zip(("--http-port", "--grpc-port", "--metrics-port"), range(base, base + 3),
                     strict=True))  # fmt: skip
    with listening(ports[flag]):
        done = subprocess.run(
            [str(BIN / "infergraph-server"), "orchestrator", "--host", "127.0.0.1",
             "--graph", str(_graph_file(tmp_path)), *(f"{k}={v}" for k, v in ports.items())],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"cannot listen on 127.0.0.1:{ports[flag]}" in done.stderr
    assert "Traceback" not in done.stderr


def _graph_file(tmp_path: Path) -> Path:
    """A runtime graph whose node never answers: the orchestrator opens its ports, then waits."""
    path = tmp_path / "g.json"
    root = {"name": "n", "type": "MODEL", "implementation": "SKLEARN_SERVER", "image": None,
            "host": "127.0.0.1", "httpPort": 9, "grpcPort": 9, "protocol": "seldon",
            "readinessPath": "/v2/health/ready", "fallback": False, "timeoutMs": 1000,
            "retries": 0, "logger": None, "children": []}  # fmt: skip
    doc = {"graph": "g", "predictor": "p", "protocol": "seldon", "transport": "rest",
           "maxConcurrency": 1, "maxBodyBytes": 1000, "probePeriodMs": 500,
           "logging": None, "root": root}  # fmt: skip
    path.write_text(json.dumps(doc))
    return path
