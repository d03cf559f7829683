"""One parameter parsing rule, two implementations: the compiler's and the server's agree.

The distributions cannot import each other, so each reads parameters with its own code; the
cases in tests/parameter_cases.json (the rule of docs/contract.md "Parameters") run through
both, and the text the compiler writes for a value reads back as that value on the server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infergraph.compile.nodes import parameters_json
from infergraph.loading.rules import parse_parameter
from infergraph.model import Node, Parameter
from infergraph_server.parameters import ParameterError, parse_value
from infergraph_server.settings import parse_parameters

CASES = json.loads((Path(__file__).parent / "parameter_cases.json").read_text())["cases"]
_ERROR = object()


def _compiler(kind: str, value: Any) -> Any:
    parsed, problem = parse_parameter(kind, value)
    return _ERROR if problem else parsed


def _server(kind: str, value: Any) -> Any:
    try:
        return parse_value(kind, value)
    except ParameterError:
        return _ERROR


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON type (true is not 1, 3 is not 3.0)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("side", [_compiler, _server], ids=["compiler", "server"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c['type']}:{c['value']!r}" for c in CASES])
def test_the_rule(side: Callable[[str, Any], Any], case: dict[str, Any]) -> None:
    got = side(case["type"], case["value"])
    if case.get("error"):
        assert got is _ERROR, got
    else:
        assert got is not _ERROR and _same(got, case["reads"]), got


def test_every_parameter_type_has_cases_of_both_outcomes() -> None:
    kinds = json.loads((Path(__file__).parents[1] / "schemas/implementations.json").read_text())
    for kind in kinds["parameterTypes"]:
        outcomes = {bool(c.get("error")) for c in CASES if c["type"] == kind}
        assert outcomes == {True, False}, kind


def test_what_the_compiler_writes_the_server_reads_back() -> None:
    readable = [c for c in CASES if not c.get("error")]
    params = tuple(
        Parameter(f"p{i}", c["type"], _compiler(c["type"], c["value"]), "")
        for i, c in enumerate(readable)
    )
    node = Node(name="n", type="MODEL", pointer="", image="me/n:1", parameters=params)
    served = parse_parameters(parameters_json(node.parameters))
    for i, case in enumerate(readable):
        assert _same(served[f"p{i}"], case["reads"]), case
