"""Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1: a real OCI registry with its
own temporary storage, for the release path's image and chart pushes."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import yaml
from loopback import free_port

__all__ = ["NO_REGISTRY", "local_registry"]

NO_REGISTRY = "containers: docker-registry is not installed (make test installs it as root)"


@contextlib.contextmanager
def local_registry(workdir: Path, timeout: float = 30.0) -> Iterator[str]:
    """A running registry; yields its address `127.0.0.1:PORT`, stops it afterwards."""
    binary = shutil.which("docker-registry")
    assert binary, NO_REGISTRY
    address = f"127.0.0.1:{free_port()}"
    config = workdir / "registry.yml"
    config.write_text(yaml.safe_dump({
        "version": 0.1,
        "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(workdir / "storage")}},
        "http": {"addr": address},
    }))  # fmt: skip
    log = (workdir / "registry.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://{address}/v2/", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "registry.log").read_text()) from None
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
