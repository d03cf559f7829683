"""Generated graphs load and round-trip; mutated ones give located problems, never a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from infergraph.errors import InvalidGraph
from infergraph.loading import load_text
from infergraph.loading.schema import check_schema, schema

from .docs import JSON, dump
from .strategies import graphs, mutated

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFERENCE = Draft202012Validator(schema())


@SETTINGS
@given(graphs())
def test_generated_graphs_load_and_round_trip(doc: JSON) -> None:
    from_yaml = load_text(dump(doc), "g")
    assert load_text(dump(doc, "json"), "g") == from_yaml
    assert load_text(dump(doc), "g") == from_yaml


@SETTINGS
@given(st.data())
def test_mutations_load_or_give_located_problems(data: st.DataObject) -> None:
    doc = data.draw(mutated(data.draw(graphs())))
    for text in (dump(doc), dump(doc, "json")):
        try:
            load_text(text, "g")
        except InvalidGraph as err:
            assert err.problems
            for problem in err.problems:
                assert problem.pointer == "" or problem.pointer.startswith("/")
                assert problem.line is not None and problem.line >= 1
                assert problem.col is not None and problem.col >= 1
                assert "; " in problem.message or not problem.pointer


@SETTINGS
@given(st.data())
def test_compiled_schema_agrees_with_jsonschema(data: st.DataObject) -> None:
    doc = data.draw(mutated(data.draw(graphs())))
    if isinstance(doc, dict) and doc.get("kind") in ("InferenceGraph", "SeldonDeployment"):
        ours = check_schema(doc).problems
        theirs = list(REFERENCE.iter_errors(doc))
        assert bool(ours) == bool(theirs), (ours, [e.message for e in theirs])
