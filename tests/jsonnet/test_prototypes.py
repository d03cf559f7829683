"""Prototypes write what the compiler writes for the same graph, and fail on bad parameters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infergraph.checks import check_objects
from infergraph.compile import compile_values
from infergraph.model import Graph, Node, NodeType, Parameter, Predictor, Resources
from infergraph.render_jsonnet import JsonnetError, evaluate, render_jsonnet

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schemas" / "values.schema.json").read_text())
LIB = "local ig = import 'infergraph.libsonnet'; "


def _model(name: str, uri: str | None = None, **kw: Any) -> Node:
    if uri is None:
        return Node(name=name, type="MODEL", pointer="", **kw)
    return Node(
        name=name, type="MODEL", pointer="", implementation="SKLEARN_SERVER", model_uri=uri, **kw
    )


def _router(name: str, impl: str, params: tuple[Parameter, ...], *children: Node) -> Node:
    kind: NodeType = "COMBINER" if impl == "AVERAGE_COMBINER" else "ROUTER"
    return Node(name, kind, "", implementation=impl, parameters=params, children=children)


def _graph(*predictors: Predictor) -> Graph:
    return Graph(name="iris", source="test", predictors=predictors)


def _main(root: Node, **kw: Any) -> Predictor:
    return Predictor(name="main", graph=root, pointer="", **kw)


A = "{name: 'a', modelUri: 'gs://bucket/a'}"
B = "{name: 'b', image: 'example.org/b:1', gpus: 2}"
C = "{name: 'c', modelUri: 'file:///models/c'}"
a = _model("a", "gs://bucket/a")
b = _model("b", image="example.org/b:1", resources=Resources(limits={"nvidia.com/gpu": "2"}))
c = _model("c", "file:///models/c")
CLASSIFIER = _model("classifier", "pvc://models/iris/v1")

#: (prototype call, the graph the compiler is given for it).
CASES: dict[str, tuple[str, Graph]] = {
    "serveSimple": (
        "ig.serveSimple('iris', modelUri='pvc://models/iris/v1', replicas=2)",
        _graph(_main(CLASSIFIER, replicas=2)),
    ),
    "serveSimple-image-gpu": (
        "ig.serveSimple('iris', image='example.org/b:1', gpus=2)",
        _graph(_main(_model("classifier", image="example.org/b:1", resources=b.resources))),
    ),
    "abTest": (
        f"ig.abTest('iris', {A}, {B}, 0.3)",
        _graph(
            _main(_router("ab", "RANDOM_ABTEST", (Parameter("ratioA", "FLOAT", 0.3, ""),), a, b))
        ),
    ),
    "multiArmedBandit": (
        f"ig.multiArmedBandit('iris', [{A}, {B}, {C}], epsilon=0.1)",
        _graph(
            _main(
                _router(
                    "bandit",
                    "EPSILON_GREEDY",
                    (Parameter("n_branches", "INT", 3, ""), Parameter("epsilon", "FLOAT", 0.1, "")),
                    a,
                    b,
                    c,
                )
            )
        ),
    ),
    "ensemble": (
        f"ig.ensemble('iris', [{A}, {C}])",
        _graph(_main(_router("average", "AVERAGE_COMBINER", (), a, c))),
    ),
    # Found by test_prototype_properties: the path of a pvc:// or file:// location ends
    # where urlsplit ends it, before a query or fragment.
    "serveSimple-pvc-query": (
        "ig.serveSimple('iris', modelUri='pvc://a00s/AGtic?')",
        _graph(_main(_model("classifier", "pvc://a00s/AGtic?"))),
    ),
    "serveSimple-file-fragment": (
        "ig.serveSimple('iris', modelUri='file:rel/m#v2')",
        _graph(_main(_model("classifier", "file:rel/m#v2"))),
    ),
    # Found by test_prototype_properties: FLOAT parameters are written as Python's repr,
    # the shortest text that reads back (17 digits here), with an exponent below 1e-4.
    "abTest-17-digits": (
        f"ig.abTest('iris', {A}, {B}, 0.34676352639147395)",
        _graph(
            _main(
                _router(
                    "ab",
                    "RANDOM_ABTEST",
                    (Parameter("ratioA", "FLOAT", 0.34676352639147395, ""),),
                    a,
                    b,
                )
            )
        ),
    ),
    "multiArmedBandit-exponent": (
        f"ig.multiArmedBandit('iris', [{A}, {C}], epsilon=1e-05)",
        _graph(
            _main(
                _router(
                    "bandit",
                    "EPSILON_GREEDY",
                    (
                        Parameter("n_branches", "INT", 2, ""),
                        Parameter("epsilon", "FLOAT", 1e-05, ""),
                    ),
                    a,
                    c,
                )
            )
        ),
    ),
    # Found by test_prototype_properties: a canary added after a shadow left the shadow
    # mirroring 100 - percent of the requests instead of all of them.
    "withCanary-after-withShadow": (
        f"ig.withCanary(ig.withShadow(ig.serveSimple('iris', image='i:1'), {C}), {A}, 25)",
        _graph(
            _main(_model("classifier", image="i:1"), traffic=75),
            Predictor(name="shadow", graph=c, pointer="", shadow=True),
            Predictor(name="canary", graph=a, pointer="", traffic=25),
        ),
    ),
    "withShadow-withCanary": (
        "ig.withShadow(ig.withCanary(ig.serveSimple('iris', modelUri='pvc://models/iris/v1'),"
        f" {A}, 25), {C})",
        _graph(
            _main(CLASSIFIER, traffic=75),
            Predictor(name="canary", graph=a, pointer="", traffic=25),
            Predictor(name="shadow", graph=c, pointer="", shadow=True),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_prototype_values_equal_compiled_values(case: str) -> None:
    call, graph = CASES[case]
    assert evaluate(LIB + call) == compile_values(graph)


@pytest.mark.parametrize("case", sorted(CASES))
def test_prototype_values_valid_and_objects_pass_checks(case: str) -> None:
    values = evaluate(LIB + CASES[case][0])
    errors = [e.message for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(values)]
    assert errors == []
    assert check_objects(render_jsonnet(values, "models")) == []


BAD = {
    "gpus": "ig.serveSimple('iris', modelUri='gs://b/m', gpus=-1)",
    "percent": f"ig.withCanary(ig.serveSimple('iris', modelUri='gs://b/m'), {A}, 120)",
    "traffic": "ig.withTraffic(ig.withCanary(ig.serveSimple('iris', image='i:1'),"
    f" {A}, 10), {{main: 80}})",
    "ratioA": f"ig.abTest('iris', {A}, {C}, ratioA=1.5)",
    "epsilon": f"ig.multiArmedBandit('iris', [{A}, {C}], epsilon=-0.1)",
    "models": f"ig.ensemble('iris', [{A}])",
    "modelUri": "ig.serveSimple('iris', modelUri='gs://b/m', image='i:1')",
    "graph": f"ig.withShadow({{name: 'iris'}}, {A})",
}


@pytest.mark.parametrize("key", sorted(BAD))
def test_bad_parameter_fails_naming_it(key: str) -> None:
    with pytest.raises(JsonnetError) as caught:
        evaluate(LIB + BAD[key])
    first_line = str(caught.value).splitlines()[0]
    assert first_line.startswith("RUNTIME ERROR: ") and key in first_line


def test_required_inputs_stop_with_must_provide() -> None:
    with pytest.raises(JsonnetError, match="must provide predictor"):
        evaluate(
            LIB + "ig.orchestrator({values: ig.serveSimple('iris', image='i:1'), namespace: 'x'})"
        )
