"""`infergraph up --runtime containers`: the rendered pods as containers in the local Docker Engine.

Render (helm or jsonnet), plan (refusing what cannot run as written), then: a network of the
run's own, each pod's holder and init containers, its app containers; the gateway published
on 127.0.0.1:--port. Once every pod is ready the chart's `helm test` pod runs against the
graph, the banner is printed, and the supervisor keeps the pods as a kubelet would until
SIGINT/SIGTERM, when every pod stops with its grace period and everything the run created
(containers, network, volumes, files) is removed.
"""

from __future__ import annotations

import shlex
import sys
import time
from urllib.parse import urlsplit

import docker.errors

from ..pointers import JSON
from ..render import Engine as RenderEngine
from ..render import render_values
from ..up import Stop
from .dockerargs import writable_claim_dir
from .engine import Engine, EngineError, RunningPod, connect, remove_leftovers
from .model import Plan, Pod
from .plan import RunOptions, plan_run
from .supervise import Supervisor

__all__ = ["run_containers"]

READY_TIMEOUT_S = 480.0  # image start and model loading, several graphs on a loaded machine
TEST_TIMEOUT_S = 180.0
_LOG_LINES = 15


def _say(text: str) -> None:
    print(f"infergraph up: {text}", file=sys.stderr, flush=True)


def _tail(handle: object) -> str:
    text = handle.logs(tail=_LOG_LINES).decode(errors="replace")  # type: ignore[attr-defined]
    return "\n".join("    " + line for line in text.splitlines())


class _Run:
    """One run: its engine objects, supervisor and started pods."""

    def __init__(self, engine: Engine, plan: Plan, stop: Stop) -> None:
        self.engine = engine
        self.plan = plan
        self.stop = stop
        self.supervisor = Supervisor(engine)
        self.pods: list[RunningPod] = []

    def start_pod(self, pod: Pod) -> str | None:
        """Holder, init containers to completion, app containers; None or why it failed."""
        running = self.engine.start_holder(pod)
        self.pods.append(running)
        for init in pod.init_containers:
            code, log = self.engine.run_to_completion(running, init, "init")
            if code != 0:
                lines = "\n".join("    " + line for line in log.splitlines()[-_LOG_LINES:])
                return f"{pod.owner}: init container {init.name} exited with code {code}:\n{lines}"
        for spec in pod.containers:
            handle = self.engine.create(running, spec, "app")
            handle.start()
            self.supervisor.add(running, spec, handle)
        return None

    def wait_ready(self) -> str | None:
        """None once every container is ready; else why not (a crash loop, the deadline, a stop)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.supervisor.all_ready():
            if self.stop.requested:
                return "stopped before the graph was ready"
            looping = self.supervisor.crash_looping()
            if looping is not None:
                return (
                    f"{looping.running.pod.owner}: container {looping.spec.name} exited "
                    f"{looping.exits} times without becoming ready (last code {looping.last_exit}):"
                    f"\n{_tail(looping.handle)}"
                )
            if time.monotonic() > deadline:
                pending = [b for b in self.supervisor.boxes if not b.ready]
                rows = [
                    f"{b.running.pod.owner}: {b.spec.name}:\n{_tail(b.handle)}" for b in pending
                ]
                return f"not ready after {READY_TIMEOUT_S:.0f} s:\n" + "\n".join(rows)
            self.supervisor.tick()
            time.sleep(0.05)
        return None

    def run_test(self, pod: Pod) -> tuple[int, str]:
        """The `helm test` pod against the running graph: (exit code, log)."""
        running = self.engine.start_holder(pod)
        try:
            handle = self.engine.create(running, pod.containers[0], "test")
            handle.start()
            try:
                code = int(handle.wait(timeout=TEST_TIMEOUT_S)["StatusCode"])
            except Exception:  # the engine's read timeout: the test hangs
                code = -1
            return code, handle.logs().decode(errors="replace")
        finally:
            self.engine.remove_pod(running)

    def supervise(self) -> None:
        while not self.stop.requested:
            self.supervisor.tick()
            time.sleep(0.05)

    def close(self) -> None:
        self.supervisor.stop_pods(self.pods)
        self.engine.remove_all()


def _banner(run: _Run, values: JSON, port: int, test: str) -> str:
    url = f"http://127.0.0.1:{port}"
    rows = [f"  {r.pod.owner:<44} pod {r.pod.name}  ip {r.facts.pod_ip}" for r in run.pods]
    claims = sorted({v.claim for p in run.plan.pods for v in p.volumes if v.writable})
    rows += [
        f"  claim {claim}: written to {writable_claim_dir(str(run.engine.rundir), claim)} "
        "(this run's own; removed at stop)"
        for claim in claims
    ]
    request = values["test"]
    curl = (
        f"curl -s -X POST {url}{urlsplit(request['url']).path} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(request['request'])}"
    )
    return "\n".join(
        [
            f'infergraph up: graph "{run.plan.graph}" is ready at {url} '
            f"(runtime containers, run {run.engine.run_id}, network {run.engine.network_name})",
            *rows,
            f"  {test}",
            "",
            "Try:",
            f"  {curl}",
            "",
            "Ctrl-C stops everything.",
        ]
    )


def run_containers(
    values: JSON,
    source: str,
    *,
    port: int,
    volumes_dir: str,
    seed: int | None,
    render_engine: RenderEngine,
) -> int:
    """Run compiled `values` as containers until SIGINT/SIGTERM; the exit code."""
    try:
        client = connect()
    except EngineError as exc:
        _say(str(exc))
        return 1
    runtimes = client.info().get("Runtimes") or {}
    objects = render_values(values, render_engine, values.get("namespace") or "default")
    options = RunOptions(source, volumes_dir, port, seed, gpu_runtime="nvidia" in runtimes)
    plan = plan_run(objects, values, options)
    for warning in plan.warnings:
        _say(f"warning: {warning}")
    for run_id in remove_leftovers(client):
        _say(f"removed the leftovers of run {run_id}, whose infergraph up is gone")
    engine = Engine(client, plan)
    try:
        problems = engine.check_images()
    except EngineError as exc:
        problems = [str(exc)]
    if problems:
        for problem in problems:
            print(f"{source}: {problem}", file=sys.stderr)
        return 1
    stop = Stop()
    run = _Run(engine, plan, stop)
    count = len(plan.pods) + 1
    _say(f"run {engine.run_id}: starting {count} pods on network {engine.network_name}")
    failure: str | None = None
    try:
        engine.create_network()
        for pod in (plan.gateway, *plan.pods):
            failure = run.start_pod(pod)
            if failure is not None or stop.requested:
                break
        failure = failure or run.wait_ready()
        if failure is None and plan.test is not None:
            code, log = run.run_test(plan.test)
            if code != 0:
                lines = "\n".join("    " + line for line in log.splitlines()[-_LOG_LINES:])
                failure = f"helm test pod {plan.test.owner} exited with code {code}:\n{lines}"
            test_line = f"helm test: {plan.test.owner} exited 0"
        else:
            test_line = "helm test: no test pod rendered"
        if failure is None:
            print(_banner(run, values, port, test_line), flush=True)
            run.supervise()
    except EngineError as exc:
        failure = str(exc)
    except docker.errors.DockerException as exc:
        failure = f"the Docker Engine failed: {str(exc).strip().splitlines()[0]}"
    finally:
        run.close()
    if failure is not None and not stop.requested:
        _say(failure)
        return 1
    print(
        "infergraph up: stopped; removed every container, network and volume of run "
        f"{engine.run_id}",
        flush=True,
    )
    return 0
