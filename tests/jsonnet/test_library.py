"""The library's generated defaults are fresh, its files formatted, its example renders, and
both Python bindings (and the jsonnet CLI, where installed) evaluate it to the same objects."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from infergraph.checks import check_objects
from infergraph.render_helm import CHART_DIR
from infergraph.render_jsonnet import LIBRARY_DIR, evaluate, render_jsonnet

from .test_prototypes import CASES, LIB

ROOT = Path(__file__).resolve().parents[2]
KUBEFLOW = ROOT / "examples" / "kubeflow" / "iris.jsonnet"
SOURCES = sorted(LIBRARY_DIR.glob("*.libsonnet")) + sorted(KUBEFLOW.parent.glob("*.jsonnet"))


def test_defaults_file_says_what_it_is_generated_from() -> None:
    # tests/chart/test_schema.py checks it is fresh, with every other generated file.
    text = (LIBRARY_DIR / "defaults.libsonnet").read_text()
    assert text.startswith("// Generated from generator/infergraph/defaults.py")


def test_sources_are_jsonnetfmt_clean() -> None:
    fmt = shutil.which("jsonnetfmt")
    if fmt is None:
        pytest.skip("jsonnetfmt not installed (make jsonnetfmt installs Debian's jsonnet package)")
    found = subprocess.run([fmt, "--test", *SOURCES], capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, (
        f"not jsonnetfmt-clean (make jsonnet-fmt): {found.stdout}{found.stderr}"
    )


def test_bindings_agree_on_chart_values() -> None:
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    objects = render_jsonnet(values, "models")
    assert objects and objects == render_jsonnet(values, "models", binding="gojsonnet")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bindings_agree_on_prototypes(case: str) -> None:
    code = LIB + f"ig.render({CASES[case][0]}, namespace='models')"
    assert evaluate(code) == evaluate(code, binding="gojsonnet")


def test_kubeflow_example_renders_a_valid_list() -> None:
    rendered = evaluate(KUBEFLOW.read_text())
    assert rendered["kind"] == "List"
    kinds = {o["kind"] for o in rendered["items"]}
    assert {"Deployment", "Service", "ConfigMap", "VirtualService"} <= kinds
    assert {o["metadata"]["namespace"] for o in rendered["items"]} == {"kubeflow"}
    assert check_objects(rendered["items"]) == []
    cli = shutil.which("jsonnet")
    if cli is not None:
        command = [cli, "-J", str(LIBRARY_DIR), str(KUBEFLOW)]
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
        assert json.loads(out.stdout) == rendered
