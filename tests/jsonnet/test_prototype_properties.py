"""Property tests: each prototype writes exactly the values the compiler writes for the same graph.

The prototypes (jsonnet/prototypes.libsonnet) must run in plain jsonnet, without Python, so the
logic that depends on their parameters (names, weights, storage, env, runtime JSON, config
hash) is jsonnet of its own; every constant and fixed fragment comes from the compiler through
the generated defaults.libsonnet. These tests prove the rest equal: hypothesis draws prototype
parameters (names up to 63 characters, GPUs, replicas, every model location scheme, shadows,
canaries, every implementation a prototype offers), and each case's values must equal
`compile_values` of the equivalent InferenceGraph definition and validate against
schemas/values.schema.json.

A jsonnet evaluation costs far more than a case, so each hypothesis example is a batch of
BATCH cases evaluated at once; EXAMPLES batches make at least 200 cases per prototype.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from infergraph.compile import compile_values
from infergraph.loading import load_text
from infergraph.render_jsonnet import evaluate

JSON = Any
ROOT = Path(__file__).resolve().parents[2]
VALUES_SCHEMA = jsonschema_rs.Draft202012Validator(
    json.loads((ROOT / "schemas" / "values.schema.json").read_text())
)
BATCH = 25
EXAMPLES = 8  # BATCH * EXAMPLES >= 200 cases per prototype


@dataclass(frozen=True)
class Case:
    """A prototype call (jsonnet) and the graph definition it stands for."""

    call: str
    definition: JSON


@dataclass(frozen=True)
class Model:
    """A prototype's model object and the graph node it stands for."""

    name: str
    jsonnet: JSON
    node: JSON


def _literal(value: JSON) -> str:
    """A jsonnet literal (JSON is jsonnet; floats keep every bit through repr)."""
    return json.dumps(value)


_HEAD = string.ascii_lowercase + string.digits


def labels(sizes: st.SearchStrategy[int], head: str = _HEAD) -> st.SearchStrategy[str]:
    """DNS-1123 labels of the drawn length: [a-z0-9], '-' inside, the first from `head`."""

    @st.composite
    def label(draw: st.DrawFn) -> str:
        size = draw(sizes)
        first = draw(st.sampled_from(head))
        if size == 1:
            return first
        middle = draw(st.text(_HEAD + "-", min_size=size - 2, max_size=size - 2))
        return first + middle + draw(st.sampled_from(_HEAD))

    return label()


#: Short names, and names near the 63-character limit (their objects get a hash suffix).
SIZES = st.integers(1, 8) | st.integers(50, 63)
NAMES = labels(SIZES)
#: A graph's name is a Service name too (DNS-1035: a letter first), as the values schema says.
GRAPH_NAMES = labels(SIZES, string.ascii_lowercase)
_PART = st.text(string.ascii_letters + string.digits + "-_.~%@:?#=&+", min_size=1, max_size=10)


@st.composite
def model_uris(draw: st.DrawFn) -> str:
    """Locations of every kind storage.py knows, with the odd character where a URI allows it."""
    scheme = draw(st.sampled_from(["pvc", "gs", "s3", "https", "http", "file", "file:", ""]))
    parts = draw(st.lists(_PART, min_size=1, max_size=3))
    if scheme in ("", "file:"):  # a path, or one urlsplit reads as scheme "file" all the same
        return draw(st.sampled_from([scheme, scheme.upper(), "/"])) + "/".join(parts)
    if scheme == "file":
        return "file:///" + "/".join(parts)
    claim = draw(labels(st.integers(1, 8)))
    return f"{scheme}://{claim}/" + "/".join(parts)


@st.composite
def models(draw: st.DrawFn) -> Model:
    """A model object: a modelUri (SKLEARN_SERVER) or an image; maybe GPUs and replicas."""
    spec: dict[str, JSON] = {}
    named = draw(st.booleans())
    name = draw(NAMES) if named else "classifier"
    if named:
        spec["name"] = name
    node: dict[str, JSON] = {"name": name, "type": "MODEL"}
    if draw(st.booleans()):
        spec["modelUri"] = node["modelUri"] = draw(model_uris())
        node["implementation"] = "SKLEARN_SERVER"
    else:
        spec["image"] = node["image"] = "example.org/" + draw(labels(st.integers(1, 12))) + ":1"
    gpus = draw(st.integers(0, 4))
    if gpus or draw(st.booleans()):
        spec["gpus"] = gpus
    if gpus:
        node["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
    if draw(st.booleans()):
        spec["replicas"] = node["replicas"] = draw(st.integers(0, 5))
    return Model(name, spec, node)


def _children(router: str, low: int, high: int) -> st.SearchStrategy[list[Model]]:
    return st.lists(
        models().filter(lambda m: m.name != router),
        min_size=low,
        max_size=high,
        unique_by=lambda m: m.name,
    )


def fractions() -> st.SearchStrategy[float | int]:
    """Numbers 0..1: the usual ones, whole ones, tiny ones Python writes with an exponent."""
    return st.sampled_from([0, 1, 0.5, 0.1, 0.3, 1e-05]) | st.floats(0, 1)


def _definition(name: str, predictors: list[JSON]) -> JSON:
    return {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": name},
        "spec": {"predictors": predictors},
    }


def _router(
    name: str, implementation: str, kind: str, params: list[JSON], kids: list[Model]
) -> JSON:
    node = {"name": name, "type": kind, "implementation": implementation}
    if params:
        node["parameters"] = params
    return node | {"children": [m.node for m in kids]}


def _one(name: str, call: str, root: JSON, **predictor: JSON) -> Case:
    return Case(call, _definition(name, [{"name": "main", "graph": root, **predictor}]))


@st.composite
def serve_simple(draw: st.DrawFn) -> Case:
    name, model = draw(GRAPH_NAMES), draw(models())
    spec = model.jsonnet
    location = {k: spec[k] for k in ("modelUri", "image") if k in spec}
    args = [_literal(name)] + [f"{k}={_literal(v)}" for k, v in location.items()]
    node = {k: v for k, v in model.node.items() if k != "replicas"} | {"name": "classifier"}
    predictor: dict[str, JSON] = {}
    if draw(st.booleans()):
        predictor["replicas"] = draw(st.integers(0, 5))
        args.append(f"replicas={predictor['replicas']}")
    if "gpus" in spec:
        args.append(f"gpus={spec['gpus']}")
    return _one(name, f"ig.serveSimple({', '.join(args)})", node, **predictor)


@st.composite
def ab_test(draw: st.DrawFn) -> Case:
    name, (a, b) = draw(GRAPH_NAMES), draw(_children("ab", 2, 2))
    args = [_literal(name), _literal(a.jsonnet), _literal(b.jsonnet)]
    ratio: float | int = 0.5
    if draw(st.booleans()):
        ratio = draw(fractions())
        args.append(f"ratioA={_literal(ratio)}")
    params = [{"name": "ratioA", "type": "FLOAT", "value": ratio}]
    root = _router("ab", "RANDOM_ABTEST", "ROUTER", params, [a, b])
    return _one(name, f"ig.abTest({', '.join(args)})", root)


@st.composite
def multi_armed_bandit(draw: st.DrawFn) -> Case:
    name, arms = draw(GRAPH_NAMES), draw(_children("bandit", 2, 4))
    args = [_literal(name), _literal([m.jsonnet for m in arms])]
    epsilon: float | int = 0.1
    if draw(st.booleans()):
        epsilon = draw(fractions())
        args.append(f"epsilon={_literal(epsilon)}")
    params = [
        {"name": "n_branches", "type": "INT", "value": len(arms)},
        {"name": "epsilon", "type": "FLOAT", "value": epsilon},
    ]
    root = _router("bandit", "EPSILON_GREEDY", "ROUTER", params, arms)
    return _one(name, f"ig.multiArmedBandit({', '.join(args)})", root)


@st.composite
def ensemble(draw: st.DrawFn) -> Case:
    name, members = draw(GRAPH_NAMES), draw(_children("average", 2, 4))
    call = f"ig.ensemble({_literal(name)}, {_literal([m.jsonnet for m in members])})"
    return _one(name, call, _router("average", "AVERAGE_COMBINER", "COMBINER", [], members))


#: The single-predictor prototypes, which withShadow and withCanary extend.
BASES = st.one_of(serve_simple(), ab_test(), multi_armed_bandit(), ensemble())


def _plus(case: Case, predictor: JSON) -> JSON:
    spec = case.definition["spec"]
    return case.definition | {"spec": spec | {"predictors": [*spec["predictors"], predictor]}}


def _shadowed(case: Case, shadow: Model) -> Case:
    predictor = {"name": "shadow", "shadow": True, "graph": shadow.node}
    return Case(f"ig.withShadow({case.call}, {_literal(shadow.jsonnet)})", _plus(case, predictor))


def _canaried(case: Case, canary: Model, percent: int) -> Case:
    spec = case.definition["spec"]
    mains = [
        p | {"traffic": 100 - percent} if not p.get("shadow") else p for p in spec["predictors"]
    ]
    base = Case(case.call, case.definition | {"spec": spec | {"predictors": mains}})
    predictor = {"name": "canary", "traffic": percent, "graph": canary.node}
    call = f"ig.withCanary({case.call}, {_literal(canary.jsonnet)}, {percent})"
    return Case(call, _plus(base, predictor))


@st.composite
def with_shadow(draw: st.DrawFn) -> Case:
    """withShadow over any base, also over a canary and under one."""
    case = draw(BASES)
    order = draw(st.sampled_from(["shadow", "canary-then-shadow", "shadow-then-canary"]))
    if order == "canary-then-shadow":
        case = _canaried(case, draw(models()), draw(st.integers(0, 100)))
    case = _shadowed(case, draw(models()))
    if order == "shadow-then-canary":
        case = _canaried(case, draw(models()), draw(st.integers(0, 100)))
    return case


@st.composite
def with_canary(draw: st.DrawFn) -> Case:
    return _canaried(draw(BASES), draw(models()), draw(st.integers(0, 100)))


PROTOTYPES: dict[str, Callable[[], st.SearchStrategy[Case]]] = {
    "serveSimple": serve_simple,
    "abTest": ab_test,
    "multiArmedBandit": multi_armed_bandit,
    "ensemble": ensemble,
    "withShadow": with_shadow,
    "withCanary": with_canary,
}


def first_difference(got: JSON, want: JSON, pointer: str = "") -> str | None:
    """The JSON Pointer of the first place two documents differ, with both values there."""
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(got) | set(want)):
            if key not in got or key not in want:
                return f"{pointer}/{key}: only in {'values' if key in got else 'compiled'}"
            found = first_difference(got[key], want[key], f"{pointer}/{key}")
            if found:
                return found
        return None
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            found = first_difference(g, w, f"{pointer}/{i}")
            if found:
                return found
        return None
    if got != want or type(got) is not type(want):
        return f"{pointer or '/'}: prototype {got!r} != compiled {want!r}"
    return None


class Batch(list[Case]):
    """Cases evaluated together; its repr is short (a failure names its own case)."""

    def __repr__(self) -> str:
        return f"<{len(self)} cases>"


def check_cases(cases: list[Case]) -> None:
    """Evaluate every call in one jsonnet run; each must equal the compiler's values."""
    calls = ",\n".join(case.call for case in cases)
    results = evaluate(f"local ig = import 'infergraph.libsonnet';\n[\n{calls}\n]")
    for case, values in zip(cases, results, strict=True):
        compiled = compile_values(load_text(json.dumps(case.definition), "case.json"))
        where = f"{case.call}\n  {json.dumps(case.definition)}"
        assert values == compiled, f"{where}\n  {first_difference(values, compiled)}"
        errors = [
            f"/{'/'.join(map(str, e.instance_path))}: {e.message}"
            for e in VALUES_SCHEMA.iter_errors(values)
        ]
        assert not errors, f"{where}\n  {errors[:3]}"


@pytest.mark.parametrize("prototype", sorted(PROTOTYPES))
def test_prototype_equals_compiler(prototype: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # No shrinking: a step evaluates a whole batch, and the failure names its case already.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    @given(st.lists(PROTOTYPES[prototype](), min_size=BATCH, max_size=BATCH).map(Batch))
    def batches(cases: Batch) -> None:
        check_cases(cases)

    batches()
