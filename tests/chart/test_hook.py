"""The `helm test` pod: its script really posts the request and checks the answer for data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from loopback_http import QuietHandler, serving

from .render import JSON, find, render_chart


def hook_pod() -> JSON:
    (pod,) = find(render_chart(), "Pod", "iris-test")
    return pod


@contextmanager
def server(answer: JSON) -> Iterator[tuple[str, list[bytes]]]:
    """A loopback server answering every POST with `answer`; yields its URL and the bodies."""
    bodies: list[bytes] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.answer(200, json.dumps(answer).encode())

    with serving(Handler) as port:
        yield f"http://127.0.0.1:{port}/api/v1.0/predictions", bodies


def run_script(pod: JSON, url: str) -> subprocess.CompletedProcess[str]:
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    command = [sys.executable, *container["command"][1:]]
    return subprocess.run(
        command, env={**os.environ, **env, "URL": url}, capture_output=True, text=True, timeout=30
    )


def test_hook_pod_targets_the_orchestrator_with_the_request() -> None:
    pod = hook_pod()
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
    assert env == {
        "URL": "http://iris-main:9000/api/v1.0/predictions",
        "REQUEST": '{"data":{"ndarray":[[5.1,3.5,1.4,0.2]]}}',
    }


def test_hook_pod_is_locked_down() -> None:
    spec = hook_pod()["spec"]
    context = spec["containers"][0]["securityContext"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert context["allowPrivilegeEscalation"] is False and context["capabilities"] == {
        "drop": ["ALL"]
    }
    assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False


def test_hook_script_passes_on_an_answer_with_data() -> None:
    pod = hook_pod()
    with server({"data": {"names": ["t:0"], "ndarray": [[0.9]]}}) as (url, bodies):
        result = run_script(pod, url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")
    assert json.loads(bodies[0]) == {"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}


def test_hook_script_fails_on_an_answer_without_data() -> None:
    with server({"status": {"code": 500, "info": "boom"}}) as (url, _):
        result = run_script(hook_pod(), url)
    assert result.returncode == 1
    assert "answer without data" in result.stderr


def test_hook_disabled_renders_no_pod() -> None:
    assert find(render_chart(set={"test.enabled": False}), "Pod") == []
