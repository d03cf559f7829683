"""names.libsonnet and sha256.libsonnet agree with naming.py and hashlib in both bindings."""

from __future__ import annotations

import hashlib
import json

import pytest

from infergraph.naming import object_name
from infergraph.render_jsonnet import Binding, JsonnetError, evaluate

BINDINGS: tuple[Binding, ...] = ("jsonnet", "gojsonnet")

#: Around the 63-character limit, a '-' where the prefix is cut, several hash blocks.
NAME_CASES = [
    ["iris", "main", "clf"],
    ["x" * 63],
    ["x" * 64],
    ["a" * 30, "b" * 23, "c" * 20],
    ["a" * 53, "b" * 10],
    ["a" * 54, "b" * 10],
    ["g" * 40, "predictor", "node-with-a-long-name"],
    ["n" * 200],
]


@pytest.mark.parametrize("binding", BINDINGS)
def test_fullname_matches_naming_py(binding: Binding) -> None:
    got = evaluate(
        "function(cases) [(import 'names.libsonnet').fullname(c) for c in cases]",
        tla_codes={"cases": json.dumps(NAME_CASES)},
        binding=binding,
    )
    assert got == [object_name(*parts) for parts in NAME_CASES]
    assert all(len(name) <= 63 for name in got)


@pytest.mark.parametrize("binding", BINDINGS)
@pytest.mark.parametrize("function", ["hex", "portable"])
def test_sha256_matches_hashlib(binding: Binding, function: str) -> None:
    """`hex` (std.sha256 where the binding has it) and the plain-jsonnet fallback."""
    texts = ["", "abc", "a" * 55, "a" * 56, "a" * 64, "a" * 119, "x" * 300, "naïve ✓"]
    got = evaluate(
        f"function(texts) [(import 'sha256.libsonnet').{function}(t) for t in texts]",
        tla_codes={"texts": json.dumps(texts)},
        binding=binding,
    )
    assert got == [hashlib.sha256(t.encode()).hexdigest() for t in texts]


@pytest.mark.parametrize("binding", BINDINGS)
def test_engine_probe_tells_go_jsonnet(binding: Binding) -> None:
    """engine.go holds exactly where std.sha256 works (C++ jsonnet's only fails)."""
    go = evaluate("(import 'engine.libsonnet').go", binding=binding)
    assert go is (binding == "gojsonnet")
    if not go:
        with pytest.raises(JsonnetError, match="only supported in go"):
            evaluate("std.sha256('abc')", binding=binding)


@pytest.mark.parametrize("binding", BINDINGS)
def test_compact_json_matches_python(binding: Binding) -> None:
    doc = {"b": [5.1, 0.1, 3, 10485760, None, True], "a": {"q": 'say "hi"\n', "z": 0.05}}
    got = evaluate(
        "function(doc) (import 'manifest.libsonnet').compact(doc)",
        tla_codes={"doc": json.dumps(doc)},
        binding=binding,
    )
    assert got == json.dumps(doc, sort_keys=True, separators=(",", ":"))


#: Fixed and exponent forms, 17 digits, a subnormal, negatives (whole numbers are digits).
NUMBERS = [0.1, 0.3, 0.34676352639147395, 1e-05, 0.0001, 1.5e-07, 5e-324, 9.96e-05, 123.456]
NUMBERS += [1.0000000000000002, 12345.678e-12, -0.3, -2.5e-05, 1e-300 * 1.7]


@pytest.mark.parametrize("binding", BINDINGS)
def test_number_is_python_repr(binding: Binding) -> None:
    got = evaluate(
        "function(xs) [(import 'manifest.libsonnet').number(x) for x in xs]",
        tla_codes={"xs": json.dumps(NUMBERS)},
        binding=binding,
    )
    assert got == [repr(x) for x in NUMBERS]
