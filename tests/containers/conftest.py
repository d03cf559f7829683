"""Fixtures of the container tier: the engine, the image (built once by `make image`), a
labelled docker session that leaves nothing behind, and iris models trained in the image.

Without an engine answering, the tier is one skipped test with one reason line (the one
tools/docker_engine.py gave in INFERGRAPH_DOCKER_SKIP when make could not start dockerd) and
the rest deselected.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from infergraph.defaults import SERVER_IMAGE

from .docker import Docker, docker_answers

__all__ = ["NO_ENGINE", "REPO"]

REPO = Path(__file__).resolve().parents[2]
NO_ENGINE = "containers: no Docker engine answers (make test starts one as root on Linux)"


@functools.cache
def _skip_reason() -> str | None:
    """Why the tier cannot run here (asked once per session), or None."""
    if docker_answers():
        return None
    reason = os.environ.get("INFERGRAPH_DOCKER_SKIP")
    return f"containers: {reason}" if reason else NO_ENGINE


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without an engine the tier reports one skipped test carrying the reason and the count,
    and deselects the rest: one reason line, whatever the number of test files."""
    tier = [item for item in items if item.get_closest_marker("containers")]
    if not tier or (reason := _skip_reason()) is None:
        return
    first, rest = tier[0], tier[1:]
    first.add_marker(pytest.mark.skip(reason=f"{reason} ({len(tier)} tests)"))
    if rest:
        config.hook.pytest_deselected(items=rest)
        dropped = {id(item) for item in rest}
        items[:] = [item for item in items if id(item) not in dropped]


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
