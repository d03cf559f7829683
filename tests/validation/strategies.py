"""Hypothesis strategies: valid native InferenceGraph documents, and mutations of them.

`graphs()` draws documents that must load; `mutated(doc)` draws a copy with one change
(a field deleted, replaced by an arbitrary JSON value, or added) that may or may not load.
Importable by other test packages (compile determinism reuses `graphs`).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from infergraph.vocabulary import VOCABULARY, ParameterSpec

__all__ = ["dns_labels", "graphs", "json_values", "mutated", "paths"]

JSON = Any
Path = tuple[str | int, ...]

_TEXT = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=12)


def dns_labels(max_size: int = 12) -> st.SearchStrategy[str]:
    """Short DNS-1123 labels."""
    return st.from_regex(rf"\A[a-z]([a-z0-9-]{{0,{max_size - 2}}}[a-z0-9])?\Z")


def json_values() -> st.SearchStrategy[JSON]:
    """Any JSON value (finite numbers), nested a little."""
    scalars = st.none() | st.booleans() | st.integers() | _TEXT
    scalars |= st.floats(allow_nan=False, allow_infinity=False)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
        max_leaves=6,
    )


_PARAMETERS = st.one_of(
    st.integers(-(10**6), 10**6).flatmap(lambda i: st.sampled_from([("INT", i), ("INT", str(i))])),
    st.floats(-1e6, 1e6).flatmap(
        lambda f: st.sampled_from([("FLOAT", f), ("DOUBLE", repr(f)), ("FLOAT", str(f))])
    ),
    st.sampled_from([("BOOL", True), ("BOOL", "false"), ("BOOL", "1"), ("BOOL", 0)]),
    _TEXT.map(lambda s: ("STRING", s)),
    st.dictionaries(_TEXT, st.integers(), max_size=2).flatmap(
        lambda d: st.sampled_from([("JSON", json.dumps(d)), ("JSON", d)])
    ),
)


def _declared_value(spec: ParameterSpec) -> st.SearchStrategy[JSON]:
    """A value its declaration accepts, as text (Seldon's way) or a plain value."""
    if spec.enum is not None:
        return st.sampled_from(spec.enum)
    low = 0 if spec.minimum is None else spec.minimum
    high = low + 5 if spec.maximum is None else spec.maximum
    rule = VOCABULARY.parameter_types[spec.type].parse
    if rule == "integer":
        return st.integers(int(low), int(high)).flatmap(lambda i: st.sampled_from([i, str(i)]))
    if rule == "number":
        return st.floats(low, high).flatmap(lambda f: st.sampled_from([f, repr(f)]))
    if rule == "boolean":
        return st.sampled_from([True, "false", "1", 0])
    return _TEXT if rule == "string" else st.just("null")  # JSON: the server's default


@st.composite
def _parameters(draw: st.DrawFn, implementation: str | None) -> list[JSON]:
    """Any typed parameters of a custom node; a prepackaged node's as its declaration says."""
    if implementation is None:
        params = draw(st.lists(_PARAMETERS, max_size=3))
        return [
            {"name": f"p{i}", "type": kind, "value": value}
            for i, (kind, value) in enumerate(params)
        ]
    out = []
    for spec in VOCABULARY.implementations[implementation].parameters.values():
        if spec.required or draw(st.booleans()):
            value = draw(_declared_value(spec))
            out.append({"name": spec.name, "type": spec.type, "value": value})
    return out


@st.composite
def _extras(draw: st.DrawFn, implementation: str | None) -> dict[str, JSON]:
    """Optional node conveniences: parameters, resources, replicas, autoscaling, endpoint."""
    extras: dict[str, JSON] = {}
    params = draw(_parameters(implementation))
    if params:
        extras["parameters"] = params
    if draw(st.booleans()):
        resources: dict[str, JSON] = {
            "requests": {"cpu": draw(st.sampled_from(["100m", "0.5", 1]))}
        }
        gpus = draw(st.integers(0, 2))
        if gpus:
            resources["limits"] = {"nvidia.com/gpu": gpus}
            if draw(st.booleans()):
                resources["requests"]["nvidia.com/gpu"] = str(gpus)
        extras["resources"] = resources
    if draw(st.booleans()):
        low = draw(st.integers(1, 3))
        extras["autoscaling"] = {"minReplicas": low, "maxReplicas": draw(st.integers(low, 6))}
    elif draw(st.booleans()):
        trigger: dict[str, Any] = {"type": "prometheus", "metadata": {"query": "up"}}
        if draw(st.booleans()):
            trigger["secretTargetRef"] = [{"parameter": "bearerToken", "name": "p", "key": "t"}]
        low = draw(st.integers(0, 2))
        keda = {"minReplicaCount": low, "maxReplicaCount": draw(st.integers(max(low, 1), 6))}
        extras["autoscaling"] = {"keda": {**keda, "triggers": [trigger]}}
    elif draw(st.booleans()):
        extras["replicas"] = draw(st.integers(0, 4))
    if draw(st.booleans()):
        extras["endpoint"] = {"type": draw(st.sampled_from(["REST", "GRPC"]))}
    return extras


@st.composite
def _node(draw: st.DrawFn, depth: int) -> dict[str, JSON]:
    """A node (names filled in later) whose type, implementation and children agree."""
    shapes = ["sklearn", "custom"] + (
        ["router", "abtest", "combiner", "chain"] if depth < 3 else []
    )
    shape = draw(st.sampled_from(shapes))
    below = _node(depth + 1)
    node: dict[str, JSON]
    if shape == "sklearn":
        uri = draw(st.sampled_from(["gs://b/iris", "s3://b/m", "pvc://claim/m", "/models/x", "m"]))
        node, children = {"implementation": "SKLEARN_SERVER", "modelUri": uri}, []
    elif shape == "custom":
        node, children = {"type": "MODEL", "image": "me/model:1"}, []
    elif shape == "router":
        router = draw(st.sampled_from(["EPSILON_GREEDY", "THOMPSON_SAMPLING"]))
        node, children = {"implementation": router}, draw(st.lists(below, min_size=2, max_size=3))
    elif shape == "abtest":
        node, children = (
            {"implementation": "RANDOM_ABTEST", "type": "ROUTER"},
            draw(st.lists(below, min_size=2, max_size=2)),
        )
    elif shape == "combiner":
        node = draw(
            st.sampled_from(
                [{"implementation": "AVERAGE_COMBINER"}, {"type": "COMBINER", "image": "me/c:1"}]
            )
        )
        children = draw(st.lists(below, min_size=1, max_size=3))
    else:
        kind = draw(st.sampled_from(["TRANSFORMER", "OUTPUT_TRANSFORMER"]))
        node, children = {"type": kind, "image": "me/t:1"}, [draw(below)]
    extras = draw(_extras(node.get("implementation")))
    return {"name": "", **node, **extras, "children": children}


def _name_nodes(node: dict[str, JSON], prefix: str, counter: list[int]) -> None:
    node["name"] = f"{prefix}{counter[0]}"
    counter[0] += 1
    for child in node["children"]:
        _name_nodes(child, prefix, counter)


def _walk(node: dict[str, JSON]) -> list[dict[str, JSON]]:
    return [node, *(n for child in node["children"] for n in _walk(child))]


@st.composite
def _predictor(draw: st.DrawFn, name: str) -> dict[str, JSON]:
    root = draw(_node(0))
    _name_nodes(root, draw(st.from_regex(r"\A[a-z]{1,6}\Z")), [0])
    predictor: dict[str, JSON] = {"name": name, "graph": root}
    containers = []
    for node in _walk(root):
        if "image" in node and draw(st.booleans()):  # the image moves into a componentSpec
            containers.append({"name": node["name"], "image": node.pop("image")})
    if containers:
        pod: dict[str, JSON] = {"containers": containers}
        if draw(st.booleans()):
            pod["terminationGracePeriodSeconds"] = draw(st.integers(0, 60))
            pod["nodeSelector"] = {"pool": "gpu"}
        predictor["componentSpecs"] = [{"spec": pod}]
    if draw(st.booleans()):
        predictor["replicas"] = draw(st.integers(0, 3))
    if draw(st.booleans()):
        predictor["labels"] = {"version": draw(dns_labels())}
    return predictor


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, JSON]:
    """A valid native InferenceGraph: main predictors (traffic summing to 100), maybe a shadow."""
    names = draw(st.lists(dns_labels(), min_size=1, max_size=4, unique=True))
    shadow = len(names) > 1 and draw(st.booleans())
    mains = names[:-1] if shadow else names
    predictors = [draw(_predictor(name)) for name in names]
    cuts = sorted(
        draw(st.lists(st.integers(0, 100), min_size=len(mains) - 1, max_size=len(mains) - 1))
    )
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    for predictor, share in zip(predictors, shares, strict=False):
        predictor["traffic"] = share
    if len(mains) == 1:
        traffic = draw(st.sampled_from([None, 0, 100]))
        predictors[0].pop("traffic") if traffic is None else predictors[0].update(traffic=traffic)
    elif draw(st.booleans()):
        predictors[draw(st.integers(0, len(mains) - 1))].pop("traffic")  # it gets the rest
    if shadow:
        predictors[-1]["shadow"] = True
        if draw(st.booleans()):
            predictors[-1]["traffic"] = draw(st.integers(0, 100))
    spec: dict[str, JSON] = {"predictors": predictors}
    if draw(st.booleans()):
        spec["protocol"] = draw(st.sampled_from(["seldon", "v2"]))
        spec["transport"] = draw(st.sampled_from(["rest", "grpc"]))
    if draw(st.booleans()):
        spec["istio"] = {"enabled": draw(st.booleans()), "retries": draw(st.integers(0, 5))}
        spec["networkPolicy"] = {"enabled": draw(st.booleans())}
    metadata: dict[str, JSON] = {"name": draw(dns_labels())}
    if draw(st.booleans()):
        metadata["labels"] = {"team": draw(dns_labels())}
        metadata["annotations"] = {"seldon.io/rest-timeout": str(draw(st.integers(1, 10**6)))}
    return {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": metadata,
        "spec": spec,
    }


def paths(value: JSON, prefix: Path = ()) -> list[Path]:
    """Every path inside a JSON value, the root included."""
    found = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found.extend(paths(item, (*prefix, key)))
    return found


@st.composite
def mutated(draw: st.DrawFn, doc: JSON) -> JSON:
    """`doc` with one field deleted, replaced by any JSON value, or one field added."""
    out = copy.deepcopy(doc)
    path = draw(st.sampled_from(paths(out)))
    if not path:
        return draw(json_values())
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["delete", "replace", "add"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "replace" or not isinstance(parent[path[-1]], dict):
        parent[path[-1]] = draw(json_values())
    else:
        parent[path[-1]][draw(_TEXT)] = draw(json_values())
    return out
