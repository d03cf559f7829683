"""The values schema: helm rejects bad values with its own message; generated files are fresh."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

from .render import CHART_DIR, DEFAULTS, helm

ROOT = CHART_DIR.parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from gen_vocabulary import SERVER_COPY as VOCABULARY_COPY  # noqa: E402
from gen_vocabulary import fill_enums  # noqa: E402

SOURCE = json.loads((ROOT / "schemas/values.schema.json").read_text())
CHART_SCHEMA = json.loads((CHART_DIR / "values.schema.json").read_text())


def generate(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "tools/generate.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_helm_lint_strict_is_clean_with_the_default_values() -> None:
    result = helm("lint", "--strict", CHART_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout


def test_default_values_meet_the_source_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SOURCE)
    jsonschema.Draft202012Validator(SOURCE).validate(DEFAULTS)


def test_helm_rejects_values_that_break_the_schema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "serviceAcount: {create: true}\n"  # misspelt
        "predictors:\n  main:\n    traffic: 150\n"
        "    nodes:\n      classifier:\n        container:\n"
        "          resources: {limits: {nvidia.com/gpu: '0.5'}}\n"
    )
    result = helm("template", "g", CHART_DIR, "-f", bad)
    assert result.returncode == 1
    assert "values don't meet the specifications of the schema(s)" in result.stderr
    assert "additional properties 'serviceAcount' not allowed" in result.stderr
    assert "at '/predictors/main/traffic': maximum: got 150, want 100" in result.stderr
    assert "/predictors/main/nodes/classifier/container/resources/limits/nvidia.com~1gpu" in (
        result.stderr
    )


def test_helm_rejects_a_name_that_is_no_dns_label(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Iris_Graph\n")
    result = helm("template", "g", CHART_DIR, "-f", bad)
    assert result.returncode == 1
    assert re.search(r"at '/name': .*does not match pattern", result.stderr), result.stderr


def test_generated_files_are_fresh() -> None:
    result = generate("--check")
    assert result.returncode == 0, result.stderr


def _copy_url_check(root: Path) -> None:
    """The URL check's source and its server copy, which `make schemas` also compares."""
    for name in ("generator/infergraph/urls.py", "model-server/infergraph_server/urls.py"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)


def test_the_freshness_check_catches_a_stale_file(tmp_path: Path) -> None:
    for part in ("schemas", "charts/infergraph"):
        shutil.copytree(ROOT / part, tmp_path / part)
    _copy_url_check(tmp_path)
    source = json.loads((tmp_path / "schemas/values.schema.json").read_text())
    source["properties"]["name"]["description"] = "Changed."
    (tmp_path / "schemas/values.schema.json").write_text(json.dumps(source))
    result = generate("--check", "--root", str(tmp_path))
    assert result.returncode == 1
    for name in ("values.schema.json", "values.yaml", "README.md"):
        assert f"charts/infergraph/{name}: stale; run `make schemas`" in result.stderr


def test_chart_schema_is_the_source_but_nullable_keys_may_be_absent() -> None:
    """helm drops null-valued keys, so the copy only relaxes `required` for nullable ones."""
    assert CHART_SCHEMA.pop("$comment").startswith("Generated from schemas/values.schema.json")

    def strip(node: object) -> object:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "required"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    assert strip(CHART_SCHEMA) == strip(SOURCE)
    workload = CHART_SCHEMA["$defs"]["workload"]
    missing = set(SOURCE["$defs"]["workload"]["required"]) - set(workload["required"])
    assert missing == {"replicas", "runtimeClassName", "autoscaling", "podDisruptionBudget"}


def test_every_values_key_has_a_description_comment() -> None:
    lines = (CHART_DIR / "values.yaml").read_text().splitlines()
    assert lines[0].startswith("# Generated from schemas/values.schema.json")
    keys = 0
    for before, line in itertools.pairwise(lines):
        if re.match(r"^\s*[\w./-]+:", line):
            keys += 1
            indent = line[: len(line) - len(line.lstrip())]
            assert before.startswith(f"{indent}# -- "), line
    assert keys > 100
    assert yaml.safe_load((CHART_DIR / "values.yaml").read_text()) == DEFAULTS


def test_readme_table_lists_every_leaf_with_its_description() -> None:
    readme = (CHART_DIR / "README.md").read_text()
    row = "| `predictors.main.nodes.classifier.container.image` | string |"
    assert row in readme
    assert "| `istio.timeout` | null | `null` | Timeout of the route" in readme


def test_a_new_declaration_reaches_every_generated_file(tmp_path: Path) -> None:
    """Adding an implementation to schemas/implementations.json stales the enums, docs, copy."""
    for part in ("schemas", "charts/infergraph", "docs", "jsonnet"):
        shutil.copytree(ROOT / part, tmp_path / part)
    _copy_url_check(tmp_path)
    shutil.copy(ROOT / VOCABULARY_COPY, tmp_path / VOCABULARY_COPY)
    declared = json.loads((tmp_path / "schemas/implementations.json").read_text())
    declared["implementations"]["CATBOOST_SERVER"] = {
        **declared["implementations"]["SKLEARN_SERVER"],
        "server": "catboost:CatBoostServer",
    }
    (tmp_path / "schemas/implementations.json").write_text(json.dumps(declared, indent=2))
    result = generate("--check", "--root", str(tmp_path))
    assert result.returncode == 1
    stale = {line.split(":")[0] for line in result.stderr.splitlines()}
    assert stale == {
        "schemas/inferencegraph.schema.json",
        "schemas/values.schema.json",
        "docs/implementations.md",
        VOCABULARY_COPY,
        "charts/infergraph/values.schema.json",
    }
    assert generate("--root", str(tmp_path)).returncode == 0
    assert generate("--check", "--root", str(tmp_path)).returncode == 0
    graph_schema = json.loads((tmp_path / "schemas/inferencegraph.schema.json").read_text())
    node = graph_schema["$defs"]["node"]["properties"]["implementation"]
    assert node["enum"][-1] == "CATBOOST_SERVER"
    chart = json.loads((tmp_path / "charts/infergraph/values.schema.json").read_text())
    runtime = chart["$defs"]["runtimeNode"]["properties"]["implementation"]["oneOf"][1]
    assert runtime["enum"][-1] == "CATBOOST_SERVER"
    assert "## CATBOOST_SERVER" in (tmp_path / "docs/implementations.md").read_text()
    copied = tmp_path / VOCABULARY_COPY
    assert copied.read_bytes() == (tmp_path / "schemas/implementations.json").read_bytes()


def test_a_hand_laid_schema_changes_only_inside_its_generated_enums() -> None:
    text = (ROOT / "schemas/inferencegraph.schema.json").read_text()
    declared = json.loads((ROOT / "schemas/implementations.json").read_text())
    declared["nodeTypes"] = {"A": {}, "B": {}}
    filled = fill_enums(text, declared)
    changed = [
        (a, b) for a, b in zip(text.splitlines(), filled.splitlines(), strict=True) if a != b
    ]
    assert len(changed) == 1 and changed[0][1].endswith('"enum": ["A", "B"]},')
