"""Helpers of the container tier: whether it can run, the images it needs, what a run left."""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infergraph.containers.dockerargs import LABEL_RUN

__all__ = ["ROOT", "build_variants", "custom_images", "docker_client", "leftovers", "run_id"]

ROOT = Path(__file__).resolve().parents[2]
#: the example images built FROM ours (examples/custom/Dockerfile), tagged as the examples name them
CUSTOM_TAGS = ("registry.example.com/iris-custom:0.1.0", "registry.example.com/iris-scaler:0.1.0")


def docker_client() -> Any:
    import docker

    return docker.from_env(timeout=300)


@contextlib.contextmanager
def custom_images(client: Any) -> Iterator[None]:
    """The custom examples' images, built offline from ours; removed after if we built them."""
    missing = []
    for tag in CUSTOM_TAGS:
        try:
            client.images.get(tag)
        except Exception:
            missing.append(tag)
    if missing:
        tags = [a for t in missing for a in ("-t", t)]
        subprocess.run(
            ["docker", "build", "-q", *tags, str(ROOT / "examples" / "custom")],
            check=True,
            capture_output=True,
        )
    try:
        yield
    finally:
        for tag in missing:
            with contextlib.suppress(Exception):
                client.images.remove(tag)


def build_variants(variants: set[str]) -> float:
    """Build the server image variants `variants` (`xgboost` for `-xgboost`, ...) the way a user
    does, `make images VARIANTS=...` (wheels cached outside the checkout by the lock's hash,
    docker's layer cache: seconds for the five when nothing changed); the seconds it
    took."""
    started = time.monotonic()
    if variants:
        subprocess.run(
            ["make", "-C", str(ROOT), "--no-print-directory", "images",
             f"VARIANTS={' '.join(sorted(variants))}"],
            check=True,
        )  # fmt: skip
    return time.monotonic() - started


def run_id(banner: str) -> str:
    found = re.search(r"run ([0-9a-f]{10})\b", banner)
    assert found, banner
    return found[1]


def leftovers(client: Any, run: str) -> list[str]:
    """Every container, network and volume still labelled with run `run`."""
    label = {"label": f"{LABEL_RUN}={run}"}
    return [
        *(f"container {c.name}" for c in client.containers.list(all=True, filters=label)),
        *(f"network {n.name}" for n in client.networks.list(filters=label)),
        *(f"volume {v.name}" for v in client.volumes.list(filters=label)),
    ]
