"""Property tests: for any valid graph, compile is deterministic and idempotent, and its values
meet schemas/values.schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings

from infergraph.compile import compile_values
from infergraph.loading import load_text
from infergraph.output import dump_yaml
from tests.validation.strategies import graphs

ROOT = Path(__file__).resolve().parents[2]
VALUES_SCHEMA = jsonschema.Draft202012Validator(
    json.loads((ROOT / "schemas" / "values.schema.json").read_text())
)


def _compile(doc: Any) -> str:
    return dump_yaml(compile_values(load_text(json.dumps(doc), "generated.json")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_compile_is_deterministic_idempotent_and_schema_valid(doc: Any) -> None:
    first = _compile(doc)
    assert _compile(doc) == first
    # Loading the same document back from its own YAML dump compiles to the same values.
    assert dump_yaml(compile_values(load_text(dump_yaml(doc), "again.yaml"))) == first
    errors = sorted(
        VALUES_SCHEMA.iter_errors(compile_values(load_text(first and json.dumps(doc), "g"))),
        key=str,
    )
    assert not errors, "\n".join(
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
    )
