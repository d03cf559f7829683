"""Image names: the server image the suite builds, and the tag of the rolling-update test.

The compiler writes `ghcr.io/infergraph/infergraph-server:<version of infergraph-server>` into
every workload; the suite builds that exact name with `make image` (the build the container
tier uses too), so the compiled values run unchanged. The rolling-update test re-tags the
same build with `UPGRADE_SUFFIX` and points every workload at it with a small values file
layered over the compiled one (collections are keyed by name, so helm merges it field by
field).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

__all__ = [
    "IMAGE_REPOSITORY",
    "SERVER_PYPROJECT",
    "UPGRADE_SUFFIX",
    "image_override",
    "image_tag",
    "server_image",
    "server_version",
    "upgraded_image",
]

REPO = Path(__file__).resolve().parents[2]
SERVER_PYPROJECT = REPO / "model-server" / "pyproject.toml"
IMAGE_REPOSITORY = "ghcr.io/infergraph/infergraph-server"
UPGRADE_SUFFIX = "-e2e-upgrade"
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # the OCI distribution spec's tag rule


def server_version(pyproject: Path = SERVER_PYPROJECT) -> str:
    """The version of the infergraph-server distribution (its pyproject.toml)."""
    with pyproject.open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


def image_tag(version: str) -> str:
    """An image tag for a distribution version (PEP 440 `+local` becomes `-local`)."""
    tag = version.replace("+", "-")
    if not _TAG.fullmatch(tag):
        raise ValueError(f"version {version!r} makes no valid image tag ({_TAG.pattern})")
    return tag


def server_image(version: str | None = None) -> str:
    """The server image for `version` (default: the distribution's)."""
    return f"{IMAGE_REPOSITORY}:{image_tag(version or server_version())}"


def upgraded_image(image: str) -> str:
    """The same repository with the rolling-update tag."""
    repository, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        raise ValueError(f"image {image!r} has no tag")
    return f"{repository}:{image_tag(tag + UPGRADE_SUFFIX)}"


def image_override(values: dict[str, Any], image: str) -> dict[str, Any]:
    """A values document that sets `image` on every orchestrator and node container.

    Predictors and nodes that helm's values carry as null (keys only the chart's defaults
    have, nulled so helm drops them) are skipped: setting a field there would revive them.
    """
    predictors: dict[str, Any] = {}
    for name, predictor in values["predictors"].items():
        if predictor is None:
            continue
        predictors[name] = {
            "orchestrator": {"container": {"image": image}},
            "nodes": {
                n: {"container": {"image": image}}
                for n, node in predictor["nodes"].items()
                if node is not None
            },
        }
    return {"predictors": predictors}
