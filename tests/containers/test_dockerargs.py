"""Planned pods in Docker's terms and the probe state machine, without an engine."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from loopback_http import QuietHandler, serving

from infergraph.containers.dockerargs import (
    AGENT_DIR,
    LABEL_RUN,
    container_kwargs,
    holder_kwargs,
    mount_sources,
)
from infergraph.containers.model import Handler, Pod, Probe
from infergraph.containers.plan import RunOptions, plan_run
from infergraph.containers.probes import AGENT_SCRIPT, ProbeState, ask_agent

from .test_plan import OPTIONS, deployment, rendered


def _node_pod() -> tuple[object, object]:
    values, objects = rendered("sklearn-single.yaml")
    plan = plan_run(objects, values, OPTIONS)
    pod = next(p for p in plan.pods if p.owner == "Deployment/iris-main-classifier")
    return plan, pod


def test_a_container_runs_hardened_in_its_pods_namespace() -> None:
    _, pod = _node_pod()
    container = pod.containers[0]  # type: ignore[attr-defined]
    sources = mount_sources(pod, "r1", "/run/dir")  # type: ignore[arg-type]
    kwargs = container_kwargs(
        container,
        pod,  # type: ignore[arg-type]
        name="ig-r1-x",
        labels={LABEL_RUN: "r1"},
        holder="holder-id",
        sources=sources,
        env={"A": "1"},
        command=None,
        args=["component"],
    )
    assert kwargs["network_mode"] == "container:holder-id"
    assert kwargs["user"] == "10001:10001"
    assert kwargs["read_only"] is True
    assert kwargs["cap_drop"] == ["ALL"]
    assert kwargs["security_opt"] == ["no-new-privileges:true"]
    assert kwargs["group_add"] == ["10001"]
    assert kwargs["mem_limit"] == container.memory_limit
    assert (kwargs["entrypoint"], kwargs["command"]) == (None, ["component"])
    mounts = {m["Target"]: m for m in kwargs["mounts"]}
    assert (
        mounts["/tmp"]["Type"] == "volume"
        and mounts["/tmp"]["Source"] == "ig-r1-iris-main-classifier-0-scratch"
    )
    assert mounts["/mnt/pvc"]["Type"] == "bind" and mounts["/mnt/pvc"]["ReadOnly"] is True
    assert mounts["/mnt/pvc"]["Source"] == "/claims/infergraph-models"


def test_unconfined_seccomp_and_added_capabilities_reach_docker() -> None:
    _, pod = _node_pod()
    container = replace(
        pod.containers[0],  # type: ignore[attr-defined]
        seccomp_unconfined=True,
        cap_add=("NET_BIND_SERVICE",),
        no_new_privileges=False,
    )
    kwargs = container_kwargs(
        container,
        pod,
        name="n",
        labels={},
        holder="h",
        sources=mount_sources(pod, "r", "/d"),  # type: ignore[arg-type]
        env={},
        command=["python3"],
        args=None,
    )
    assert kwargs["security_opt"] == ["seccomp=unconfined"]
    assert kwargs["cap_add"] == ["NET_BIND_SERVICE"]
    assert (kwargs["entrypoint"], kwargs["command"]) == (["python3"], None)


def test_the_holder_carries_the_service_aliases_and_the_only_published_port() -> None:
    values, objects = rendered("sklearn-single.yaml")
    plan = plan_run(objects, values, RunOptions("g.yaml", "/claims", 18081))
    node = next(p for p in plan.pods if p.owner == "Deployment/iris-main-classifier")
    kwargs = holder_kwargs(node, image="img", name="h", network="net", labels={}, agent_dir="/a")
    assert kwargs["aliases"][:2] == ["iris-main-classifier-0", "iris-main-classifier"]
    assert kwargs["ports"] is None
    assert kwargs["read_only"] and kwargs["cap_drop"] == ["ALL"] and kwargs["user"] == "10001:10001"
    (mount,) = kwargs["mounts"]
    assert (mount["Source"], mount["Target"]) == ("/a", AGENT_DIR)
    gateway = holder_kwargs(
        plan.gateway, image="img", name="g", network="net", labels={}, agent_dir="/a"
    )
    assert gateway["ports"] == {"8080/tcp": ("127.0.0.1", 18081)}


def test_probe_thresholds_count_consecutive_results() -> None:
    probe = Probe(Handler("http", port=9000, path="/ready"), 2, 5, 1, 1, 3)
    state = ProbeState.starting(probe, now=100.0)
    assert state.due == 102.0
    assert state.record(False, 102.0) is None
    assert state.record(False, 107.0) is None
    assert state.record(True, 112.0) == "passed"  # a success resets the failures
    assert state.record(False, 117.0) is None
    assert state.record(False, 122.0) is None
    assert state.record(False, 127.0) == "failed"
    assert state.due == 132.0


class _Health(QuietHandler):
    def do_GET(self) -> None:
        self.answer(200 if self.path == "/ready" else 503, b"")


def test_the_probe_agent_answers_like_the_kubelet(tmp_path: Path) -> None:
    """The holder's agent, run here on loopback: 2xx passes, 5xx and closed ports fail."""
    path = str(tmp_path / "agent.sock")
    with serving(_Health) as port:
        agent = subprocess.Popen([sys.executable, "-S", "-c", AGENT_SCRIPT, path])
        try:
            deadline = time.monotonic() + 30
            while not Path(path).exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            answers = [
                ask_agent(path, Handler("http", port=port, path="/ready"), 2),
                ask_agent(path, Handler("http", port=port, path="/broken"), 2),
                ask_agent(path, Handler("tcp", port=port), 2),
                ask_agent(path, Handler("tcp", port=1), 2),
            ]
            assert answers == [True, False, True, False]
        finally:
            agent.send_signal(signal.SIGTERM)
            assert agent.wait(10) == 0
    assert ask_agent(path, Handler("tcp", port=port), 1) is False  # no agent: a failure


def test_a_claim_a_container_writes_to_is_the_runs_own_directory_and_the_rest_stay_read_only() -> (
    None
):
    """monitored.yaml's log sink writes to its claim: it gets `RUNDIR/claims/<claim>`, mounted
    read-write, never the user's --volumes directory; the model claims stay read-only binds of
    the user's directory, as does a claim whose PersistentVolumeClaim source says readOnly."""
    values, objects = rendered("monitored.yaml")
    sink = deployment(objects, "monitored-logsink")["spec"]["template"]["spec"]
    (volume,) = [v for v in sink["volumes"] if "persistentVolumeClaim" in v]
    assert "readOnly" not in volume["persistentVolumeClaim"]  # as the chart writes it
    plan = plan_run(objects, values, OPTIONS)
    by_owner = {p.owner: p for p in plan.pods}
    logsink = by_owner["Deployment/monitored-logsink"]
    mounts = _mounts(logsink)
    assert mounts["/var/lib/infergraph/logs"]["Source"] == "/run/dir/claims/monitored-logsink"
    assert mounts["/var/lib/infergraph/logs"]["ReadOnly"] is False
    readers = [p for p in plan.pods if any(v.kind == "claim" for v in p.volumes) and p != logsink]
    assert readers
    for pod in readers:
        model = _mounts(pod)["/mnt/pvc"]
        assert (model["Source"], model["ReadOnly"]) == ("/claims/infergraph-models", True)
    volume["persistentVolumeClaim"]["readOnly"] = True
    logsink = next(p for p in plan_run(objects, values, OPTIONS).pods if p.owner == logsink.owner)
    mounts = _mounts(logsink)
    assert mounts["/var/lib/infergraph/logs"]["Source"] == "/claims/monitored-logsink"
    assert mounts["/var/lib/infergraph/logs"]["ReadOnly"] is True


def _mounts(pod: Pod) -> dict[str, Any]:
    """Mount target -> the Docker mount of `pod`'s first container, run directory /run/dir."""
    kwargs = container_kwargs(
        pod.containers[0],
        pod,
        name="n",
        labels={},
        holder="h",
        sources=mount_sources(pod, "r", "/run/dir"),
        env={},
        command=None,
        args=None,
    )
    return {m["Target"]: m for m in kwargs["mounts"]}
