"""The URL check has one source, generator/infergraph/urls.py; the server runs a generated copy
(the two distributions never import each other). The copy must not drift, and `make schemas`
must notice when it would."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infergraph.urls import http_url_problem as generator_check
from infergraph_server.urls import http_url_problem as server_check

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "generator/infergraph/urls.py"
COPY = ROOT / "model-server/infergraph_server/urls.py"


def test_the_server_copy_is_the_source_behind_one_generated_line() -> None:
    first, rest = COPY.read_text().split("\n", 1)
    assert first.startswith("# Generated from generator/infergraph/urls.py by tools/generate.py")
    assert rest == SOURCE.read_text()


@pytest.mark.parametrize(
    "url",
    ["http://a/", "https://a:443/x?y", "ftp://a/", "http://a:99999/", "http://a:0/", "http://a b/",
     "http:///x", "sink", ""],
)  # fmt: skip
def test_generator_and_server_judge_a_url_alike(url: str) -> None:
    assert server_check(url) == generator_check(url)


def test_make_schemas_finds_the_copy_stale_when_the_source_changes(tmp_path: Path) -> None:
    for part in (
        "schemas",
        "charts/infergraph",
        "docs",
        "jsonnet",
        "model-server/infergraph_server",
    ):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    source = tmp_path / "generator/infergraph/urls.py"
    source.parent.mkdir(parents=True)
    source.write_text(SOURCE.read_text().replace("is not an http(s) URL", "is no http(s) URL"))
    command = [sys.executable, str(ROOT / "tools/generate.py"), "--check", "--root", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stderr == "model-server/infergraph_server/urls.py: stale; run `make schemas`\n"
