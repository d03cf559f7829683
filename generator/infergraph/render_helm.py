"""The helm engine: `helm template` of charts/infergraph through pyhelm3 and the real helm."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

from pyhelm3 import Command

from .helm_values import helm_values
from .pointers import JSON

__all__ = ["CHART_DIR", "HelmNotFound", "helm_executable", "render_helm"]

#: The chart beside the generator in a source checkout; INFERGRAPH_CHART points elsewhere.
CHART_DIR = Path(
    os.environ.get(
        "INFERGRAPH_CHART", Path(__file__).resolve().parents[2] / "charts" / "infergraph"
    )
)


class HelmNotFound(RuntimeError):
    """No helm binary: neither on PATH nor beside this Python (where `make setup` puts it)."""


def helm_executable() -> str:
    beside = Path(sys.executable).parent / "helm"
    found = shutil.which("helm") or (str(beside) if beside.exists() else None)
    if found is None:
        raise HelmNotFound("helm not found on PATH; run `make setup` or install helm >= 3.14")
    return found


def render_helm(values: JSON, namespace: str = "default", chart: Path = CHART_DIR) -> list[JSON]:
    """The objects `helm template` renders from compiled values (hooks included)."""
    command = Command(executable=helm_executable())
    for_helm = helm_values(values)
    objects = asyncio.run(command.template(values["name"], chart, for_helm, namespace=namespace))
    return [o for o in objects if o]
