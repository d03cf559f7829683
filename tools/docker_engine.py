"""Run a command with a Docker Engine available, and stop the engine afterwards if we started it.

`python tools/docker_engine.py run -- CMD...` is how make runs the container tier and the image
build. When `docker info` answers, CMD runs against that engine and nothing else happens. When
it does not and we are root on Linux, Debian's `docker.io` is installed if `dockerd` is missing
and `dockerd` is started in the background (log in the state directory); it is stopped after
CMD, even when CMD fails or is interrupted. Several sessions may overlap (engineers and CI
jobs share a machine): each holds a lease (a file named by its pid) and the engine we started
stops only when the last live lease is released. An engine we did not start is never stopped.

Where no engine can be had, CMD still runs with INFERGRAPH_DOCKER_SKIP set to the one-line
reason, which the container tier prints when it skips.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SKIP_ENV", "acquire", "docker_answers", "main", "release"]

SKIP_ENV = "INFERGRAPH_DOCKER_SKIP"
STATE = Path(os.environ.get("INFERGRAPH_DOCKER_STATE", "/run/infergraph-docker"))
STARTED = STATE / "dockerd.pid"  # present only while an engine we started runs
LEASES = STATE / "leases"
LOG = STATE / "dockerd.log"
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0


def docker_answers(timeout: float = 30.0) -> bool:
    """True when `docker info` reaches an engine."""
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _alive(pid: int, name: str | None = None) -> bool:
    """True when process `pid` runs (and its command name is `name`, if given). A zombie has
    ended: the dockerd this process started stays one until reaped, and waiting for it to
    leave /proc took the whole stop timeout."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # ours to reap when we started it
        return False
    return name is None or comm == name


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialise engine start/stop between sessions."""
    LEASES.mkdir(parents=True, exist_ok=True)
    with (STATE / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _started_pid() -> int | None:
    """The pid of the dockerd we started, when it still runs."""
    try:
        pid = int(STARTED.read_text())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid, "dockerd") else None


def _install() -> None:
    """Debian's docker.io (Engine 20.10), when dockerd is missing."""
    print("docker: installing Debian's docker.io (dockerd is missing)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "docker.io"]):
        subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)


def _start() -> str | None:
    """Start dockerd in the background; None when it answers, else why not."""
    if sys.platform != "linux":
        return f"no Docker engine answers and make starts one only on Linux (here: {sys.platform})"
    if os.geteuid() != 0:
        return "no Docker engine answers and make starts dockerd only as root"
    if shutil.which("dockerd") is None:
        try:
            _install()
        except (OSError, subprocess.CalledProcessError) as error:
            return f"no Docker engine answers and apt-get install docker.io failed: {error}"
    with LOG.open("ab") as log:
        proc = subprocess.Popen(
            ["dockerd"], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    STARTED.write_text(str(proc.pid))
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            STARTED.unlink(missing_ok=True)
            return f"dockerd exited with {proc.returncode} at start (log: {LOG})"
        if docker_answers(timeout=5):
            print(f"docker: started dockerd (pid {proc.pid}, log {LOG}); stopped after", flush=True)
            return None
        time.sleep(0.5)
    _stop(proc.pid)
    return f"dockerd did not answer within {READY_TIMEOUT:.0f} s (log: {LOG})"


def _stop(pid: int) -> None:
    """SIGTERM the dockerd we started and wait for it (it stops its containers first)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    STARTED.unlink(missing_ok=True)
    print(f"docker: stopped the dockerd we started (pid {pid})", flush=True)


def acquire(owner: int) -> str | None:
    """Make an engine answer for `owner` (a pid); None when one does, else the reason."""
    with _locked():
        if docker_answers():
            if _started_pid() is not None:
                (LEASES / str(owner)).touch()
            return None
        reason = _start()
        if reason is None:
            (LEASES / str(owner)).touch()
        return reason


def release(owner: int) -> None:
    """Drop `owner`'s lease; stop the engine we started when no live lease remains."""
    with _locked():
        (LEASES / str(owner)).unlink(missing_ok=True)
        live = [p for p in LEASES.iterdir() if p.name.isdigit() and _alive(int(p.name))]
        for stale in set(LEASES.iterdir()) - set(live):
            stale.unlink(missing_ok=True)
        pid = _started_pid()
        if not live and pid is not None:
            _stop(pid)


def _run(command: list[str]) -> int:
    """Run `command` inside a lease; signals reach it and the lease is always released."""
    owner = os.getpid()
    reason = acquire(owner)
    env = dict(os.environ)
    if reason is not None:
        env[SKIP_ENV] = reason
    try:
        child = subprocess.Popen(command, env=env)
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
        return child.wait()
    finally:
        release(owner)


def main(argv: list[str]) -> int:
    """CLI: `docker_engine.py run -- CMD...`."""
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--":
        print("usage: python tools/docker_engine.py run -- CMD...", file=sys.stderr)
        return 2
    return _run(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
