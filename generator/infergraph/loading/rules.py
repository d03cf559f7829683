"""Semantic rules the schema cannot express.

Field rules (`parse_parameter`, `model_uri_problem`, `gpu_problems`) run while the model is
built, where the pointer of each field is known; graph rules (`graph_problems`) run on the
built model. Every message is `<what is wrong>; <what is expected>`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from ..defaults import GPU_RESOURCE
from ..model import Graph, Node, Predictor, Tracing
from ..pointers import JSON, pointer, quote
from ..urls import http_url_problem
from ..vocabulary import VOCABULARY
from .reader import reject_constant

__all__ = [
    "MODEL_URI_SCHEMES",
    "gpu_problems",
    "graph_problems",
    "model_uri_problem",
    "parse_parameter",
]

#: modelUri schemes the storage initializer (or a local mount) can serve; else a local path
MODEL_URI_SCHEMES = ("gs://", "s3://", "https://", "http://", "pvc://", "file://")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_BOOLS = {"true": True, "1": True, "false": False, "0": False}
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def _finite(text: str) -> float:
    """`json.loads(parse_float=...)`: a number too large for a double is refused, not infinite."""
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _parse(rule: str, value: JSON) -> JSON:
    """The value read by parse rule `rule` (docs/contract.md "Parameters"); ValueError if not."""
    if rule == "json":
        document = value if isinstance(value, str) else json.dumps(value)
        return json.loads(document, parse_constant=reject_constant, parse_float=_finite)
    if rule == "string":
        if isinstance(value, str):
            return value
        raise ValueError(rule)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    text = value.strip() if isinstance(value, str) else None
    if rule == "boolean":
        if isinstance(value, bool):
            return value
        word = str(value) if number and isinstance(value, int) else (text or "").lower()
        if word in _BOOLS:
            return _BOOLS[word]
    elif rule == "integer":
        if isinstance(value, int) and number:
            return value
        if text is not None and _INT.fullmatch(text):
            return int(text)
    elif rule == "number" and (number or (text is not None and _FLOAT.fullmatch(text))):
        return _finite(str(value) if text is None else text)
    raise ValueError(rule)


def parse_parameter(kind: str, value: JSON) -> tuple[JSON, str | None]:
    """(parsed value, None) or (None, the problem) for a parameter of declared type `kind`."""
    declared = VOCABULARY.parameter_types[kind]
    try:
        return _parse(declared.parse, value), None
    except (ValueError, OverflowError, RecursionError):
        return None, f"{quote(value)} is not a valid {kind}; expected {declared.expected}"


def model_uri_problem(uri: str) -> str | None:
    """What is wrong with a modelUri: an unknown scheme, no location, a bad PVC name."""
    schemes = ", ".join(MODEL_URI_SCHEMES)
    if "://" not in uri:
        return None
    scheme = uri.partition("://")[0]
    if not uri.startswith(MODEL_URI_SCHEMES):
        return (
            f'{quote(uri)} has an unsupported scheme "{scheme}"; expected {schemes} or a local path'
        )
    rest = uri.partition("://")[2]
    if not rest.strip("/"):
        return (
            f"{quote(uri)} has no location after the scheme; expected e.g. {scheme}://bucket/model"
        )
    if scheme == "pvc" and not _SUBDOMAIN.fullmatch(rest.partition("/")[0]):
        return f"{quote(uri)} does not start with a claim name; expected pvc://<claim>/<path>"
    return None


def _gpu_count(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) > 0 else None


def gpu_problems(resources: Mapping[str, Mapping[str, str]], at: str) -> Iterator[tuple[str, str]]:
    """GPU counts are positive integers, and requests (when given) equal limits."""
    counts: dict[str, int | None] = {}
    for part in ("requests", "limits"):
        value = resources.get(part, {}).get(GPU_RESOURCE)
        if value is None:
            continue
        counts[part] = _gpu_count(value)
        if counts[part] is None:
            where = f"{at}/{part}{pointer([GPU_RESOURCE])}"
            yield where, f"{quote(value)} is not a GPU count; expected a positive integer such as 1"
    if "requests" in counts and counts.get("limits", -1) != counts["requests"]:
        where = f"{at}/requests{pointer([GPU_RESOURCE])}"
        limit = resources.get("limits", {}).get(GPU_RESOURCE)
        wrong = "is set without limits" if limit is None else f"differs from limits {quote(limit)}"
        expected = f'limits "{GPU_RESOURCE}" equal to requests, or limits alone'
        yield where, f"{quote(resources['requests'][GPU_RESOURCE])} {wrong}; expected {expected}"


def graph_problems(graph: Graph) -> Iterator[tuple[str, str]]:
    """Names unique, children counts, traffic and shadow rules of a built graph."""
    seen: dict[str, str] = {}
    for predictor in graph.predictors:
        yield from _duplicate(seen, predictor.name, predictor.pointer, "predictor names")
        nodes: dict[str, str] = {}
        for node in predictor.graph.walk():
            yield from _duplicate(nodes, node.name, node.pointer, "node names in a predictor")
            yield from _children(node)
            yield from _fallback(node)
            yield from _batching(node)
    yield from _traffic(graph.predictors)
    if graph.serving.tracing is not None:
        yield from _tracing(graph.serving.tracing)


def _tracing(tracing: Tracing) -> Iterator[tuple[str, str]]:
    """The endpoint is an OTLP/HTTP base URL the exporter can POST to."""
    endpoint = tracing.endpoint
    wrong = http_url_problem(endpoint)
    if wrong is None:
        parts = urlsplit(endpoint)
        if not (parts.query or parts.fragment):
            return
        wrong = "has a query or fragment"
    yield (
        f"{tracing.pointer}/endpoint",
        f"{quote(endpoint)} {wrong}; expected the collector's OTLP/HTTP base URL, "
        "e.g. http://otel-collector.observability:4318",
    )


def _duplicate(seen: dict[str, str], name: str, at: str, what: str) -> Iterator[tuple[str, str]]:
    if name in seen:
        yield f"{at}/name", f'"{name}" is already used at {seen[name]}; expected unique {what}'
    else:
        seen[name] = at


def _children(node: Node) -> Iterator[tuple[str, str]]:
    """The children count its implementation declares, else its node type."""
    declared = VOCABULARY.implementations.get(node.implementation or "")
    rule = (declared or VOCABULARY.node_types[node.type]).children
    count = len(node.children)
    expected = rule.expected(count)
    if expected is not None:
        noun = "child" if count == 1 else "children"
        what = f'{node.implementation or node.type} "{node.name}" has {count} {noun}'
        yield f"{node.pointer}/children", f"{what}; expected {expected}"


def _fallback(node: Node) -> Iterator[tuple[str, str]]:
    if node.fallback and node.type != "ROUTER":
        yield (
            f"{node.pointer}/fallback",
            f'is set on {node.type} "{node.name}"; expected it only on a ROUTER (it picks a child)',
        )


def _batching(node: Node) -> Iterator[tuple[str, str]]:
    """Only node types that batch, and of the implementations only those declared batchable."""
    if node.batching is None:
        return
    at = node.batching.pointer
    if not VOCABULARY.node_types[node.type].batches:
        batching = ", ".join(n for n, t in VOCABULARY.node_types.items() if t.batches)
        yield at, f'is set on {node.type} "{node.name}"; expected it only on: {batching}'
        return
    declared = VOCABULARY.implementations.get(node.implementation or "")
    if declared is not None and not declared.batchable:
        batchable = ", ".join(n for n, i in VOCABULARY.implementations.items() if i.batchable)
        yield (
            at,
            f'is set on {declared.name} "{node.name}", which does not batch; '
            f"batchable implementations: {batchable}",
        )


def _traffic(predictors: tuple[Predictor, ...]) -> Iterator[tuple[str, str]]:
    mains = [p for p in predictors if not p.shadow]
    shadows = [p for p in predictors if p.shadow]
    if shadows and not mains:
        yield (
            f"{shadows[0].pointer}/shadow",
            (
                f'shadow predictor "{shadows[0].name}" has no main predictor to mirror; '
                "expected at least one predictor without shadow: true"
            ),
        )
    for extra in shadows[1:]:
        yield (
            f"{extra.pointer}/shadow",
            (
                f'"{extra.name}" is a second shadow predictor; expected at most one '
                f'(traffic is mirrored to one destination, "{shadows[0].name}")'
            ),
        )
    if not mains:
        return
    if len(mains) == 1:
        traffic = mains[0].traffic
        if traffic is not None and 0 < traffic < 100:
            yield (
                f"{mains[0].pointer}/traffic",
                (
                    f"{traffic} leaves {100 - traffic} percent of requests unserved; "
                    "expected 100, 0 or no traffic for the only predictor"
                ),
            )
        return
    omitted = [p for p in mains if p.traffic is None]
    for extra in omitted[1:]:
        yield (
            f"{extra.pointer}/traffic",
            (
                f'is missing, as on "{omitted[0].name}"; expected traffic on every predictor '
                "but one (that one gets the rest)"
            ),
        )
    total = sum(p.traffic or 0 for p in mains)
    shares = ", ".join(f'"{p.name}": {p.traffic}' for p in mains if p.traffic is not None)
    if omitted and total > 100:
        yield (
            "/spec/predictors",
            (
                f"traffic sums to {total} ({shares}); expected at most 100, "
                f'the rest going to "{omitted[0].name}"'
            ),
        )
    elif not omitted and total != 100:
        yield "/spec/predictors", f"traffic sums to {total} ({shares}); expected 100"
