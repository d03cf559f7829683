"""Fixtures of the container tier: the engine, the image (built once by `make image`), a
labelled docker session that leaves nothing behind, and iris models trained in the image.

Without an engine answering every `containers` test skips with one reason line: the one
tools/docker_engine.py gave (INFERGRAPH_DOCKER_SKIP) when make could not start dockerd.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infergraph.defaults import SERVER_IMAGE

from .docker import Docker

__all__ = ["NO_ENGINE", "REPO"]

REPO = Path(__file__).resolve().parents[2]
NO_ENGINE = "containers: no Docker engine answers (make test starts one as root on Linux)"


def _docker_answers() -> bool:
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """When container tests were collected and no engine answers: skip them, one reason."""
    tier = [item for item in items if item.get_closest_marker("containers")]
    if tier and not _docker_answers():
        reason = os.environ.get("INFERGRAPH_DOCKER_SKIP")
        skip = pytest.mark.skip(reason=f"containers: {reason}" if reason else NO_ENGINE)
        for item in tier:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def image() -> str:
    """The server image under the name the compiler writes, built by `make image`."""
    subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "image"], check=True)
    return SERVER_IMAGE


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    """A labelled docker session; teardown removes its containers and networks and fails
    when any is left."""
    session = Docker()
    yield session
    session.remove_all()
    assert session.leftovers() == []


@pytest.fixture(scope="session")
def claims(image: str, docker: Docker, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`claims/infergraph-models/iris/model.joblib`, trained by bench/train_iris.py run in the
    image (a joblib pickle is tied to the scikit-learn that loads it: the image's)."""
    root = tmp_path_factory.mktemp("claims")
    models = root / "infergraph-models"
    models.mkdir()
    models.chmod(0o777)
    train = REPO / "bench" / "train_iris.py"
    container = docker.run(
        "--read-only", "--tmpfs", "/tmp", "--volume", f"{train}:/opt/train_iris.py:ro",
        "--volume", f"{models}:/models", "--entrypoint", "python3", image,
        "/opt/train_iris.py", "/models/iris",
    )  # fmt: skip
    status = docker("wait", container).strip()
    logs = docker("logs", container)
    docker("rm", container)
    assert status == "0", logs
    return root
