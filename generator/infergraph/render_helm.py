"""The helm engine: `helm template` of charts/infergraph through pyhelm3 and the real helm."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
from pathlib import Path

import yaml
from pyhelm3 import Command
from pyhelm3.errors import Error as PyHelmError

from .errors import HelmError, SetupError
from .helm_values import helm_values
from .naming import release_name
from .pointers import JSON

__all__ = ["CHART_DIR", "CHART_ENV", "helm_executable", "render_helm"]

#: Environment variable naming another copy of charts/infergraph.
CHART_ENV = "INFERGRAPH_CHART"
#: The chart beside the generator in a source checkout; INFERGRAPH_CHART points elsewhere.
CHART_DIR = Path(
    os.environ.get(CHART_ENV, Path(__file__).resolve().parents[2] / "charts" / "infergraph")
)

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# pyhelm3 logs each failed command before raising; render_helm reports it once, as HelmError.
logging.getLogger("pyhelm3").addHandler(logging.NullHandler())


def helm_executable() -> str:
    """helm on PATH, else beside this Python (where `make setup` puts it); HelmError if none."""
    beside = Path(sys.executable).parent / "helm"
    found = shutil.which("helm") or (str(beside) if beside.exists() else None)
    if found is None:
        raise HelmError("helm not found on PATH; run `make setup` or install helm >= 3.14")
    return found


def _check_chart(chart: Path) -> None:
    if not (chart / "Chart.yaml").is_file():
        fix = (
            f"unset {CHART_ENV} or point it at a copy of charts/infergraph"
            if CHART_ENV in os.environ
            else f"use infergraph from a source checkout, or set {CHART_ENV} to charts/infergraph"
        )
        raise SetupError(f"{chart}: not a Helm chart (no Chart.yaml); {fix}")


def render_helm(values: JSON, namespace: str = "default", chart: Path = CHART_DIR) -> list[JSON]:
    """The objects `helm template` renders from compiled values (hooks included)."""
    _check_chart(chart)
    command = Command(executable=helm_executable())
    release = release_name(values["name"])
    # pyhelm3's `template` parses helm's output with PyYAML's pure-Python loader (minutes for
    # a large annotation); the same command, parsed by libyaml, gives the same objects.
    args = ["template", release, str(chart), "--skip-crds", "--values", "-", "--namespace"]
    stdin = json.dumps(helm_values(values)).encode()
    try:
        text = asyncio.run(command.run([*args, namespace], stdin))
    except PyHelmError as err:
        said = " ".join(err.stderr.decode(errors="replace").split()) or f"exit {err.returncode}"
        raise HelmError(f"helm template {chart} failed: {said}") from None
    except OSError as err:
        raise HelmError(f"cannot run helm: {err.strerror or err}") from None
    return [o for o in yaml.load_all(text, Loader=_Loader) if o]
