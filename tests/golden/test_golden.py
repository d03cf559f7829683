"""Every example renders byte-for-byte as its committed golden files (`make golden` regenerates)."""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("golden", ROOT / "tools" / "golden.py")
assert _spec is not None and _spec.loader is not None
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


@pytest.mark.parametrize("example", golden.EXAMPLES, ids=lambda p: p.stem)
def test_example_matches_golden(example: Path) -> None:
    for path, text in golden.golden_files(example).items():
        committed = path.read_text() if path.exists() else ""
        if committed != text:
            diff = "".join(
                difflib.unified_diff(
                    committed.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{path.name} (committed)",
                    tofile=f"{path.name} (rendered now)",
                )
            )
            pytest.fail(f"{path.name} is stale; run `make golden` and review:\n{diff}")


def test_every_example_has_golden_files() -> None:
    names = {p.name for p in golden.GOLDEN.glob("*.yaml")}
    expected = {
        f"{e.stem}{suffix}" for e in golden.EXAMPLES for suffix in (".yaml", ".values.yaml")
    }
    assert names == expected


@pytest.mark.parametrize("example", golden.EXAMPLES, ids=lambda p: p.stem)
def test_rendered_example_passes_schemas_and_policies(example: Path) -> None:
    from infergraph.checks import check_objects

    objects = list(yaml.safe_load_all((golden.GOLDEN / f"{example.stem}.yaml").read_text()))
    assert objects, "no objects rendered"
    problems = check_objects(objects)
    assert not problems, "\n".join(map(str, problems))


def test_checkov_passes_every_rendered_example() -> None:
    from infergraph.checks.checkov import run_checkov

    summary = run_checkov([golden.GOLDEN / f"{e.stem}.yaml" for e in golden.EXAMPLES])
    assert summary.clean, str(summary)
    assert summary.passed > 1000
