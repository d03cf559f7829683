"""The kubelet's part for running pods: probes, restarts with back-off, graceful stops.

One loop in the calling thread watches every app container: a container that exits is started
again after a growing back-off (restartPolicy Always); a startup or liveness probe that reaches
its failure threshold stops the container with the pod's grace period (preStop first) and
starts it again; readiness decides whether the pod counts as ready. Probes and stops run on a
small thread pool so one slow container never holds up the others.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .dockerargs import LABEL_ROLE, LABEL_RUN
from .engine import Engine, RunningPod
from .model import Container, Handler
from .probes import ProbeState, ask_agent

__all__ = ["Box", "Supervisor"]

BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 30.0
CRASH_LOOP_EXITS = 3  # exits before ever being ready that fail `up` (CrashLoopBackOff)
EXIT_POLL_S = 0.5
_HOOK_TIMEOUT_S = 30.0


def _say(text: str) -> None:
    print(f"infergraph up: {text}", file=sys.stderr, flush=True)


@dataclass
class Box:
    """One app container under supervision."""

    running: RunningPod
    spec: Container
    handle: Any
    started: float
    startup_done: bool = False
    ready: bool = False
    ever_ready: bool = False
    exits: int = 0
    restarts: int = 0
    last_exit: int | None = None
    restart_at: float | None = None
    backoff: float = BACKOFF_START_S
    busy: bool = False  # a stop/start of ours is under way
    probes: dict[str, ProbeState] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.running.pod.name}/{self.spec.name}"

    def reset(self, now: float) -> None:
        """Fresh probe state for a (re)started container."""
        self.started = now
        self.startup_done = self.spec.startup is None
        self.ready = False
        self.in_flight.clear()
        self.probes = {
            kind: ProbeState.starting(probe, now)
            for kind, probe in (
                ("startup", self.spec.startup),
                ("readiness", self.spec.readiness),
                ("liveness", self.spec.liveness),
            )
            if probe is not None
        }


class Supervisor:
    """Probes, restarts and stops the app containers of one run."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.boxes: list[Box] = []
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="infergraph-probe")
        self._next_exit_poll = 0.0
        self._done: list[tuple[Future[bool], Callable[[bool], None]]] = []

    def add(self, running: RunningPod, spec: Container, handle: Any) -> None:
        box = Box(running, spec, handle, time.monotonic())
        box.reset(box.started)
        self.boxes.append(box)

    def all_ready(self) -> bool:
        return all(b.ready for b in self.boxes)

    def crash_looping(self) -> Box | None:
        """A container that exited CRASH_LOOP_EXITS times without ever becoming ready."""
        return next(
            (b for b in self.boxes if not b.ever_ready and b.exits >= CRASH_LOOP_EXITS), None
        )

    def tick(self) -> None:
        """One round: exits, due restarts, due probes, finished work."""
        now = time.monotonic()
        if now >= self._next_exit_poll:
            self._next_exit_poll = now + EXIT_POLL_S
            self._poll_exits(now)
        for box in self.boxes:
            if box.busy:
                continue
            if box.restart_at is not None:
                if now >= box.restart_at:
                    self._start_again(box)
                continue
            self._probe(box, now)
        finished = [(f, cb) for f, cb in self._done if f.done()]
        self._done = [(f, cb) for f, cb in self._done if not f.done()]
        for future, callback in finished:
            callback(bool(future.result()) if future.exception() is None else False)

    def _poll_exits(self, now: float) -> None:
        run = f"{LABEL_RUN}={self.engine.run_id}"
        exited = self.engine.client.containers.list(
            all=True, filters={"label": [run, f"{LABEL_ROLE}=app"], "status": "exited"}
        )
        ids = {c.id: c for c in exited}
        for box in self.boxes:
            if box.busy or box.restart_at is not None or box.handle.id not in ids:
                continue
            box.last_exit = int(ids[box.handle.id].attrs["State"]["ExitCode"])
            box.exits += 1
            box.ready = False
            box.restart_at = now + box.backoff
            _say(
                f"{box.label} exited with code {box.last_exit}; "
                f"restarting in {box.backoff:.0f} s (restart {box.restarts + 1})"
            )
            box.backoff = min(box.backoff * 2, BACKOFF_MAX_S)

    def _start_again(self, box: Box) -> None:
        box.restart_at = None
        box.restarts += 1
        box.handle.start()
        box.reset(time.monotonic())

    def _probe(self, box: Box, now: float) -> None:
        if not box.startup_done:
            kinds = ["startup"]
        else:
            kinds = ["readiness", "liveness"]
            if box.spec.readiness is None:
                box.ready = box.ever_ready = True
        for kind in kinds:
            state = box.probes.get(kind)
            if state is None or kind in box.in_flight or now < state.due:
                continue
            box.in_flight.add(kind)
            future = self.pool.submit(
                self.run_handler, box.running, box.handle, state.probe.handler, state.probe.timeout
            )
            self._done.append((future, self._recorder(box, kind, state, box.started)))

    def _recorder(
        self, box: Box, kind: str, state: ProbeState, epoch: float
    ) -> Callable[[bool], None]:
        def record(ok: bool) -> None:
            if box.started != epoch or box.busy:
                return  # a result about a container that has been restarted since
            box.in_flight.discard(kind)
            verdict = state.record(ok, time.monotonic())
            if kind == "startup" and verdict == "passed":
                box.startup_done = True
                now = time.monotonic()
                for other in ("readiness", "liveness"):
                    if other in box.probes:
                        box.probes[other] = ProbeState.starting(box.probes[other].probe, now)
            elif kind == "readiness" and verdict is not None:
                box.ready = verdict == "passed"
                box.ever_ready = box.ever_ready or box.ready
            elif kind in ("startup", "liveness") and verdict == "failed":
                _say(f"{box.label}: {kind} probe failed {state.failures} times; restarting it")
                self._restart(box)

        return record

    def _restart(self, box: Box) -> None:
        """Stop with the pod's grace period (preStop first) and start again, as the kubelet."""
        box.busy = True
        box.ready = False
        began = time.monotonic()

        def work() -> bool:
            self.stop_container(box.running, box.spec, box.handle, box.running.pod.grace_seconds)
            box.handle.start()
            return True

        def done(_: bool) -> None:
            box.busy = False
            box.restarts += 1
            box.reset(time.monotonic())
            _say(f"{box.label}: restarted ({time.monotonic() - began:.1f} s after the kill)")

        self._done.append((self.pool.submit(work), done))

    def run_handler(
        self, running: RunningPod, handle: Any, handler: Handler, timeout: float
    ) -> bool:
        """Run a probe or hook action; True on success."""
        if handler.action == "sleep":
            time.sleep(handler.seconds)
            return True
        if handler.action in ("http", "tcp"):
            return ask_agent(running.agent, handler, timeout)
        try:
            code, _ = self.engine.exec(handle, list(handler.command))
        except Exception:  # an exec into a container that is stopping: a failed probe
            return False
        return code == 0

    def stop_container(
        self, running: RunningPod, spec: Container, handle: Any, grace: float
    ) -> None:
        """preStop hook (within the grace period), then SIGTERM and SIGKILL at the grace end."""
        began = time.monotonic()
        hook = spec.pre_stop
        if hook is not None and hook.action == "sleep":
            time.sleep(min(hook.seconds, grace))
        elif hook is not None:
            self.run_handler(running, handle, hook, min(_HOOK_TIMEOUT_S, grace))
        self.engine.stop(handle, grace - (time.monotonic() - began))

    def stop_pods(self, pods: list[RunningPod]) -> None:
        """Stop every pod at once, each container with its pod's grace period."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        work = [
            (r, spec, r.containers[spec.name])
            for r in pods
            for spec in r.pod.containers
            if spec.name in r.containers
        ]
        if not work:
            return
        with ThreadPoolExecutor(max_workers=len(work)) as stoppers:
            for running, spec, handle in work:
                stoppers.submit(
                    self.stop_container, running, spec, handle, running.pod.grace_seconds
                )
