"""The `infergraph` command as users run it: exit codes, messages, determinism, atomic output."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
INFERGRAPH = [sys.executable, "-m", "infergraph.cli"]


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*INFERGRAPH, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


BROKEN = """\
apiVersion: infergraph.io/v1alpha1
kind: InferenceGraph
metadata:
  name: Bad_Name
spec:
  predictors:
    - name: main
      traffic: 60
      graph:
        name: ab
        type: ROUTER
        implementation: RANDOM_ABTEST
        children:
          - name: only
            implementation: SKLEARN_SERVER
            modelUri: ftp://host/model
"""


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == "infergraph 0.1.0"
    for command in ("validate", "compile", "render", "graph", "up"):
        done = run(command, "--help")
        assert done.returncode == 0 and "usage: infergraph" in done.stdout


def test_usage_errors_exit_2_without_traceback() -> None:
    for args in ([], ["compile"], ["compile", "x.yaml", "--to", "nowhere"], ["frobnicate"]):
        done = run(*args)
        assert done.returncode == 2, args
        assert "Traceback" not in done.stderr and "usage:" in done.stderr


def test_validate_reports_every_problem_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    done = run("validate", bad, EXAMPLES / "ab-test.yaml")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) >= 3, done.stderr
    assert all(line.startswith(f"{bad}:") for line in lines), lines
    joined = done.stderr
    assert "/metadata/name" in joined
    assert "/spec/predictors/0/graph/children" in joined
    assert "/spec/predictors/0/graph/children/0/modelUri" in joined


def test_validate_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "syntax.yaml"
    bad.write_text("apiVersion: infergraph.io/v1alpha1\nkind: [unclosed\n")
    done = run("validate", bad)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{bad}:3:") or done.stderr.startswith(f"{bad}:2:")


def test_validate_all_examples() -> None:
    done = run("validate", *sorted(EXAMPLES.glob("*.yaml")))
    assert done.returncode == 0, done.stderr


def test_compile_is_byte_identical_and_atomic(tmp_path: Path) -> None:
    out = tmp_path / "values.yaml"
    assert run("compile", EXAMPLES / "canary-75-25.yaml", "-o", out).returncode == 0
    first = out.read_bytes()
    assert run("compile", EXAMPLES / "canary-75-25.yaml", "-o", out).returncode == 0
    assert out.read_bytes() == first
    values = yaml.safe_load(first)
    assert {p: values["predictors"][p]["traffic"] for p in ("main", "canary")} == {
        "main": 75,
        "canary": 25,
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN)
    assert run("compile", bad, "-o", out).returncode == 1
    assert out.read_bytes() == first, "a failed compile must leave the old output alone"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "values.yaml"]


def test_compile_runtime_of_one_predictor() -> None:
    done = run("compile", EXAMPLES / "ab-test.yaml", "--to", "runtime", "--predictor", "main")
    assert done.returncode == 0
    runtime = yaml.safe_load(done.stdout)
    assert runtime["root"]["type"] == "ROUTER" and len(runtime["root"]["children"]) == 2
    done = run("compile", EXAMPLES / "ab-test.yaml", "--to", "runtime", "--predictor", "nope")
    assert done.returncode == 2
    assert (
        done.stderr
        == 'infergraph compile: --predictor: "nope" is not a predictor; predictors: "main"\n'
    )


def test_render_to_directory_one_file_per_object(tmp_path: Path) -> None:
    out = tmp_path / "objects"
    done = run("render", EXAMPLES / "shadow.yaml", "--validate", "-o", out)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert "virtualservice-iris-shadow.yaml" in names
    assert "deployment-iris-shadow-shadow-classifier.yaml" in names
    again = run("render", EXAMPLES / "shadow.yaml", "--engine", "jsonnet")
    assert again.returncode == 0
    kinds = [d["kind"] for d in yaml.safe_load_all(again.stdout)]
    assert kinds == sorted(kinds, key=kinds.index) and kinds[0] == "ServiceAccount"


def test_graph_pictures() -> None:
    mermaid = run("graph", EXAMPLES / "canary-75-25.yaml").stdout
    assert "flowchart LR" in mermaid and "|75%|" in mermaid and "|25%|" in mermaid
    dot = run("graph", EXAMPLES / "gpu-model.yaml", "--format", "dot").stdout
    assert dot.startswith('digraph "iris-gpu"') and "1 GPU" in dot


def test_svg_without_graphviz_says_how_to_get_it(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [*INFERGRAPH, "graph", str(EXAMPLES / "bandit.yaml"), "--format", "svg"],
        capture_output=True,
        text=True,
        env=env,
    )
    if shutil.which("dot", path=env["PATH"]):
        pytest.skip("graphviz is installed beside python")
    assert done.returncode == 1 and "apt-get install graphviz" in done.stderr


def test_namespace_must_be_a_dns_label(tmp_path: Path) -> None:
    """Issue 11, defect 3: a bad --namespace is a usage error and nothing is written."""
    out = tmp_path / "objects"
    for namespace in ("BAD_NS", "a b", "n" * 64, "", "-lead"):
        for engine in ("helm", "jsonnet"):
            args = ("--engine", engine, f"--namespace={namespace}", "--validate", "-o", out)
            done = run("render", EXAMPLES / "ab-test.yaml", *args)
            assert done.returncode == 2, (namespace, engine, done.stderr)
            assert "Traceback" not in done.stderr and "DNS-1123 label" in done.stderr
            assert not out.exists()
    longest = "n" * 63
    done = run("render", EXAMPLES / "ab-test.yaml", "--engine", "jsonnet", "--namespace", longest)
    assert done.returncode == 0, done.stderr
    assert {d["metadata"]["namespace"] for d in yaml.safe_load_all(done.stdout)} == {longest}
