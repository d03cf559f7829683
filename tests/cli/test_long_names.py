"""Graph names up to 63 characters render through helm as through jsonnet (issue 11, defect 6).

helm caps release names at 53 characters; `render` derives the release name (naming.release_name)
and the chart never shows it, so the same objects come out of both engines (that they are
equal: tests/jsonnet/test_parity.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from infergraph.compile import compile_values
from infergraph.loading import load
from infergraph.naming import MAX_RELEASE_NAME, release_name
from infergraph.render_helm import render_helm

ROOT = Path(__file__).resolve().parents[2]
INFERGRAPH = [sys.executable, "-m", "infergraph.cli"]


def _graph_named(name: str, tmp_path: Path) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "ab-test.yaml").read_text())
    data["metadata"]["name"] = name
    path = tmp_path / f"{len(name)}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("length", [53, 54, 63])
def test_long_graph_names_render_the_same_through_both_engines(length: int, tmp_path: Path) -> None:
    name = ("g" + "-long" * 13)[:length].rstrip("-").ljust(length, "x")
    source = _graph_named(name, tmp_path)
    for engine in ("helm", "jsonnet"):
        done = subprocess.run(
            [*INFERGRAPH, "render", str(source), "--engine", engine, "--validate"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and "Traceback" not in done.stderr, (engine, done.stderr)
        names = {
            d["metadata"]["labels"]["infergraph.io/graph"] for d in yaml.safe_load_all(done.stdout)
        }
        assert names == {name}


def test_the_release_name_fits_helm_and_shows_nowhere(tmp_path: Path) -> None:
    name = "r" * 63
    release = release_name(name)
    assert len(release) == MAX_RELEASE_NAME and release != name[:MAX_RELEASE_NAME]
    assert release_name("r" * 53) == "r" * 53
    objects = render_helm(compile_values(load(_graph_named(name, tmp_path))))
    assert release not in json.dumps(objects)
