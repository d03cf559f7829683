"""`infergraph diff` and `infergraph status` where no cluster answers: usage errors, a missing or
broken kubeconfig, an unknown context, an API server that is not there, an invalid graph. Every
failure is one line and exit 2 (1 means "changes" / "not rolled out"), never a traceback. The
commands against a real API server are in tests/cluster/test_cli_cluster.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from loopback import free_port

from .test_cli import BROKEN, EXAMPLES, run

GRAPH = EXAMPLES / "canary-75-25.yaml"
COMMANDS = ("diff", "status")


def _kubeconfig(path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}
        ],
        "users": [{"name": "u", "user": {"token": "not-a-token"}}],
        "contexts": [{"name": "here", "context": {"cluster": "c", "user": "u", "namespace": "ns"}}],
        "current-context": "here",
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _one_line_exit_2(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done
    err = done.stderr
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_and_usage_errors(command: str) -> None:
    assert run(command, "--help").returncode == 0
    assert run(command).returncode == 2  # no FILE
    assert run(command, GRAPH, "--engine", "kustomize").returncode == 2


def test_status_timeout_needs_wait_and_a_duration(tmp_path: Path) -> None:
    err = _one_line_exit_2(run("status", GRAPH, "--timeout", "5s"))
    assert "--timeout: only with --wait" in err
    done = run("status", GRAPH, "--wait", "--timeout", "5 minutes")
    assert done.returncode == 2 and '"5 minutes" is not a duration' in done.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_and_broken_kubeconfigs_and_unknown_contexts(command: str, tmp_path: Path) -> None:
    err = _one_line_exit_2(run(command, GRAPH, "--kubeconfig", tmp_path / "none"))
    assert f"cannot use {tmp_path / 'none'}" in err
    broken = tmp_path / "broken"
    broken.write_text("clusters: [unclosed\n")
    err = _one_line_exit_2(run(command, GRAPH, "--kubeconfig", broken))
    assert f"cannot use {broken}:2:1: expected" in err
    config = _kubeconfig(tmp_path / "config", "https://127.0.0.1:1")
    err = _one_line_exit_2(run(command, GRAPH, "--kubeconfig", config, "--context", "elsewhere"))
    assert "elsewhere" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_api_server_that_is_not_there(command: str, tmp_path: Path) -> None:
    server = f"https://127.0.0.1:{free_port()}"
    config = _kubeconfig(tmp_path / "config", server)
    err = _one_line_exit_2(run(command, GRAPH, "--kubeconfig", config))
    assert f"infergraph {command}: cannot reach the API server {server}: connection refused" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_an_invalid_graph_exits_2_with_every_problem(command: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    done = run(command, bad, "--kubeconfig", tmp_path / "none")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count(f"{bad}:") >= 2  # every problem, each located
