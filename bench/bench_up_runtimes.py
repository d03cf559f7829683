"""`infergraph up` as processes against as containers: req/s through the gateway at c=8.

Both runs of examples/sklearn-single.yaml are up at once (same iris model, trained here into
a claim directory passed with --volumes) and the rounds alternate between them, so other load
on the machine hits both alike; the best round of each counts. They start one after the other,
so that each one's cold start (from `infergraph up` to its banner, images cached) is its own.
The containers run reaches the gateway through its port published on 127.0.0.1, as a user
would. Without a Docker Engine (or our image) it prints one line saying so and measures nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import post_json
from loadgen import LoadResult, require_wrk, run_load
from loopback import UP_PORTS, free_port_block
from train_iris import train

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sklearn-single.yaml"
BODY = b'{"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}'
PREDICT = "/api/v1.0/predictions"
CONNECTIONS = 8
READY_S = 480


def _engine_missing() -> str | None:
    try:
        import docker

        client = docker.from_env(timeout=30)
        client.ping()
        client.images.get("ghcr.io/infergraph/infergraph-server:0.1.0")
    except Exception as exc:
        return f"no Docker Engine with our image ({str(exc).splitlines()[0][:100]}); make image"
    return None


def _start(runtime: str, port: int, volumes: Path, log: Path) -> subprocess.Popen[bytes]:
    infergraph = Path(sys.executable).parent / "infergraph"
    command = [str(infergraph), "up", str(EXAMPLE), "--port", str(port), "--runtime", runtime]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, "--volumes", str(volumes)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait(proc: subprocess.Popen[bytes], log: Path, started: float) -> float:
    """Seconds from `started` until `infergraph up` printed its banner."""
    deadline = started + READY_S
    while "Ctrl-C stops everything." not in log.read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"infergraph up did not come up:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return time.monotonic() - started


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="length of one run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per runtime; the best counts")
    args = parser.parse_args(argv)
    missing = _engine_missing()
    if missing is not None:
        print(f"bench_up_runtimes: skipped: {missing}")
        return 0
    require_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-up-") as tmp:
        volumes = Path(tmp, "volumes")
        train(volumes / "infergraph-models" / "iris")
        base = free_port_block(2 * UP_PORTS)
        ports = {"processes": base, "containers": base + UP_PORTS}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        cold: dict[str, float] = {}
        try:
            for runtime, port in ports.items():
                log, started = Path(tmp, f"{runtime}.log"), time.monotonic()
                procs[runtime] = _start(runtime, port, volumes, log)
                cold[runtime] = _wait(procs[runtime], log, started)
            urls = {r: f"http://127.0.0.1:{p}{PREDICT}" for r, p in ports.items()}
            answers = {r: post_json(u, BODY)["data"]["ndarray"] for r, u in urls.items()}
            if answers["processes"] != answers["containers"]:
                raise SystemExit(f"the runtimes answer differently: {answers}")
            for url in urls.values():
                run_load(url, BODY, CONNECTIONS, 2)  # warm up
            best: dict[str, LoadResult] = {}
            for _ in range(args.rounds):
                for runtime, url in urls.items():
                    result = run_load(url, BODY, CONNECTIONS, args.seconds)
                    if result.failures:
                        raise SystemExit(f"{runtime}: {result.failures} failed requests")
                    if runtime not in best or result.rps > best[runtime].rps:
                        best[runtime] = result
        finally:
            for proc in procs.values():
                _stop(proc)
    load = os.getloadavg()[0]
    print(f"infergraph up {EXAMPLE.name}: cold start to ready (load average {load:.1f})")
    for runtime, seconds in cold.items():
        print(f"  {runtime:<12} {seconds:6.1f} s")
    print(f"infergraph up {EXAMPLE.name}, gateway -> orchestrator -> node, c={CONNECTIONS}")
    print(f"{'runtime':<12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for runtime, result in best.items():
        print(f"{runtime:<12} {result.rps:>8.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f}")
    ratio = best["containers"].rps / best["processes"].rps
    print(f"containers / processes req/s: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
