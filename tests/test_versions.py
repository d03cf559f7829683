"""One version everywhere: both distributions, the chart, the server image the compiler writes."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

import infergraph
import infergraph_server
from infergraph import defaults

ROOT = Path(__file__).resolve().parents[1]


def test_versions_are_in_step() -> None:
    generator = tomllib.loads((ROOT / "generator" / "pyproject.toml").read_text())
    server = tomllib.loads((ROOT / "model-server" / "pyproject.toml").read_text())
    chart = yaml.safe_load((ROOT / "charts" / "infergraph" / "Chart.yaml").read_text())
    version = generator["project"]["version"]
    assert server["project"]["version"] == version
    assert infergraph.__version__ == infergraph_server.__version__ == version
    assert chart["version"] == chart["appVersion"] == version
    assert defaults.SERVER_IMAGE.endswith(f":{version}")
    assert f"ARG VERSION={version}" in (ROOT / "model-server" / "Dockerfile").read_text()
