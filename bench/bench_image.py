"""The server image: its size, the layers we add on top of the base, cold start and idle RSS.

`make image` builds it (cached after the first time); then the iris model is trained in the
image and a hardened component container (read-only root, uid 10001, capabilities dropped,
no-new-privileges, /tmp a tmpfs) is started ROUNDS times: cold start is the time from
`docker run` to the first 200 from /v2/health/ready on the port published on 127.0.0.1
(median), idle RSS the summed VmRSS of the container's processes once ready. Without a Docker
Engine it prints one skip line.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from infergraph.defaults import SERVER_IMAGE

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 5
TARGET_ADDED_MB = 380
MB = 1e6
LABEL = "io.infergraph.bench=image"


def _docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout


def _size(image: str) -> int:
    return int(_docker("image", "inspect", "--format", "{{.Size}}", image))


def _ready(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"no ready answer on 127.0.0.1:{port} within {timeout:.0f} s")


def _rss(container: str) -> int:
    """Summed VmRSS (bytes) of the container's processes, read from the host's /proc."""
    pids = _docker("top", container, "-o", "pid").split()[1:]
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
    return total


def _train(image: str, claim: Path) -> None:
    claim.chmod(0o777)
    _docker("run", "--rm", "--label", LABEL, "--read-only", "--tmpfs", "/tmp",
            "--volume", f"{REPO / 'bench' / 'train_iris.py'}:/opt/train_iris.py:ro",
            "--volume", f"{claim}:/models", "--entrypoint", "python3", image,
            "/opt/train_iris.py", "/models/iris")  # fmt: skip


def _start_once(image: str, claim: Path) -> tuple[float, int]:
    """One hardened component container: seconds from `docker run` to ready, idle RSS."""
    started = time.monotonic()
    container = _docker(
        "run", "-d", "--label", LABEL, "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges", "--user", "10001:10001",
        "--volume", f"{claim}:/mnt/pvc:ro", "--publish", "127.0.0.1::9000",
        "--env", "INFERGRAPH_MODEL_URI=/mnt/pvc/iris",
        "--env", "INFERGRAPH_IMPLEMENTATION=SKLEARN_SERVER", "--env", "INFERGRAPH_NAME=iris",
        image, "component",
    ).strip()  # fmt: skip
    try:
        ports = json.loads(_docker("inspect", "--format", "{{json .NetworkSettings.Ports}}",
                                   container))  # fmt: skip
        _ready(int(ports["9000/tcp"][0]["HostPort"]))
        cold = time.monotonic() - started
        time.sleep(2.0)  # idle: after start-up allocations settle
        return cold, _rss(container)
    finally:
        _docker("rm", "-f", container)


def main() -> int:
    """Build (make image), measure, print."""
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        print("bench_image: skipped, no Docker Engine answers (make bench starts one as root)")
        return 0
    subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "image"], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    labels = json.loads(_docker("image", "inspect", "--format", "{{json .Config.Labels}}",
                                SERVER_IMAGE))  # fmt: skip
    base = labels["io.infergraph.base-image"]
    size, base_size = _size(SERVER_IMAGE), _size(base)
    added = size - base_size
    print(f"image {SERVER_IMAGE}: {size / MB:.0f} MB on {base} ({base_size / MB:.0f} MB)")
    verdict = "within" if added <= TARGET_ADDED_MB * MB else "OVER"
    print(f"layers we add: {added / MB:.0f} MB ({verdict} the {TARGET_ADDED_MB} MB target)")
    with tempfile.TemporaryDirectory(prefix="bench-image-") as tmp:
        claim = Path(tmp)
        _train(SERVER_IMAGE, claim)
        runs = [_start_once(SERVER_IMAGE, claim) for _ in range(ROUNDS)]
    colds = [cold for cold, _ in runs]
    rss = [r for _, r in runs]
    print(f"cold start, docker run to ready: median {statistics.median(colds):.2f} s "
          f"(min {min(colds):.2f}, max {max(colds):.2f}, n={ROUNDS})")  # fmt: skip
    print(f"idle RSS per component container: median {statistics.median(rss) / MB:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
