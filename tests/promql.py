"""A small PromQL evaluator over scraped samples, for the queries KEDA triggers use on our metrics.

The syntax is parsed by `promql-parser` (the Rust parser of the Prometheus grammar, from PyPI);
only the value is computed here, from `Scrape`s of real `/metrics` pages taken at known times.
The subset evaluated, and nothing else (anything outside it raises `Unsupported`):

- vector selectors: a metric name with `=`, `!=`, `=~`, `!~` matchers (`__name__` included);
  the instant value is the latest sample at or before the evaluation time, within 5 minutes;
- `rate`, `increase` and `irate` of a range selector `[d]`, with Prometheus's counter-reset
  handling and extrapolation to the range's edges (promql/functions.go `extrapolatedRate`);
- `sum`, `avg`, `min`, `max`, `count`, optionally `by (...)` or `without (...)`;
- number literals, and `+ - * /` between a vector and a number or two numbers.

Not evaluated: offsets, `@`, subqueries, vector-vector binary operations, other functions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import promql_parser
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["Scrape", "Unsupported", "Vector", "evaluate", "scrape_text"]

Labels = tuple[tuple[str, str], ...]  # sorted, __name__ included
Vector = dict[Labels, float]
LOOKBACK_S = 300.0


class Unsupported(ValueError):
    """A query outside the subset this evaluator implements."""


@dataclass(frozen=True)
class Scrape:
    """Every sample of one scrape, at `time` seconds."""

    time: float
    samples: Mapping[Labels, float]


def scrape_text(text: str, time: float) -> Scrape:
    """A scrape of a Prometheus text exposition page (histograms give _bucket/_count/_sum)."""
    samples: dict[Labels, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted({**sample.labels, "__name__": sample.name}.items()))
            samples[labels] = float(sample.value)
    return Scrape(time, samples)


def _matcher(m: Any) -> Callable[[str], bool]:
    op, value = str(m.op).rsplit(".", 1)[-1], m.value
    if op == "Equal":
        return lambda v: v == value
    if op == "NotEqual":
        return lambda v: v != value
    if op in ("Re", "NotRe"):
        pattern = re.compile(f"(?:{value})")
        if op == "Re":
            return lambda v: pattern.fullmatch(v) is not None
        return lambda v: pattern.fullmatch(v) is None
    raise Unsupported(f"matcher {op}")


def _selects(selector: Any) -> Callable[[Labels], bool]:
    if selector.offset is not None or selector.at is not None:
        raise Unsupported("offset and @ modifiers")
    if selector.matchers.or_matchers:
        raise Unsupported("`or` matchers")
    tests = [(m.name, _matcher(m)) for m in selector.matchers.matchers]
    if selector.name:
        tests.append(("__name__", lambda v, name=selector.name: v == name))

    def selects(labels: Labels) -> bool:
        found = dict(labels)
        return all(test(found.get(name, "")) for name, test in tests)

    return selects


def _series(
    scrapes: Sequence[Scrape], selector: Any, start: float, end: float
) -> dict[Labels, list[tuple[float, float]]]:
    """Samples of every selected series with start < time <= end, oldest first."""
    selects = _selects(selector)
    out: dict[Labels, list[tuple[float, float]]] = {}
    for scrape in sorted(scrapes, key=lambda s: s.time):
        if start < scrape.time <= end:
            for labels, value in scrape.samples.items():
                if selects(labels):
                    out.setdefault(labels, []).append((scrape.time, value))
    return out


def _extrapolated(
    points: list[tuple[float, float]], start: float, end: float, rate: bool
) -> float | None:
    """Prometheus's extrapolatedRate for a counter; None with fewer than two samples."""
    if len(points) < 2:
        return None
    increase = points[-1][1] - points[0][1]
    for (_, before), (_, after) in itertools.pairwise(points):
        if after < before:  # a counter reset: the count restarted from 0
            increase += before
    first_t, first_v = points[0]
    last_t = points[-1][0]
    to_start, to_end = first_t - start, end - last_t
    sampled = last_t - first_t
    average = sampled / (len(points) - 1)
    if increase > 0 and first_v >= 0:
        to_zero = sampled * (first_v / increase)
        to_start = min(to_start, to_zero)
    threshold = average * 1.1
    extrapolate_to = sampled
    extrapolate_to += to_start if to_start < threshold else average / 2
    extrapolate_to += to_end if to_end < threshold else average / 2
    value = increase * (extrapolate_to / sampled)
    return value / (end - start) if rate else value


def _range_function(call: Any, scrapes: Sequence[Scrape], at: float) -> Vector:
    name = call.func.name
    [arg] = call.args
    if not isinstance(arg, promql_parser.MatrixSelector):
        raise Unsupported(f"{name} of anything but a range selector")
    window = arg.range.total_seconds()
    out: Vector = {}
    for labels, points in _series(scrapes, arg.vector_selector, at - window, at).items():
        if name == "irate":
            value = None
            if len(points) >= 2:
                (t0, v0), (t1, v1) = points[-2:]
                value = (v1 - v0 if v1 >= v0 else v1) / (t1 - t0)
        else:
            value = _extrapolated(points, at - window, at, rate=name == "rate")
        if value is not None:
            out[tuple(kv for kv in labels if kv[0] != "__name__")] = value
    return out


_AGGREGATE: dict[str, Callable[[list[float]], float]] = {
    "sum": sum,
    "avg": lambda v: sum(v) / len(v),
    "min": min,
    "max": max,
    "count": lambda v: float(len(v)),
}


def _aggregate(expr: Any, scrapes: Sequence[Scrape], at: float) -> Vector:
    op = str(expr.op).lower()
    if op not in _AGGREGATE or expr.param is not None:
        raise Unsupported(f"aggregation {op}")
    inner = _vector(_eval(expr.expr, scrapes, at))
    modifier = expr.modifier
    groups: dict[Labels, list[float]] = {}
    for labels, value in inner.items():
        if modifier is None:
            key: Labels = ()
        else:
            names = set(modifier.labels)
            by = str(modifier.type).lower().endswith("by")
            key = tuple(kv for kv in labels if (kv[0] in names) == by and kv[0] != "__name__")
        groups.setdefault(key, []).append(value)
    return {key: _AGGREGATE[op](values) for key, values in groups.items()}


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b else float("nan"),
}


def _binary(expr: Any, scrapes: Sequence[Scrape], at: float) -> Vector | float:
    op = str(expr.op).strip()
    if op not in _ARITHMETIC:
        raise Unsupported(f"binary operator {op}")
    left, right = _eval(expr.lhs, scrapes, at), _eval(expr.rhs, scrapes, at)
    apply = _ARITHMETIC[op]
    if isinstance(left, float) and isinstance(right, float):
        return apply(left, right)
    if isinstance(left, dict) and isinstance(right, float):
        return {k: apply(v, right) for k, v in left.items()}
    if isinstance(left, float) and isinstance(right, dict):
        return {k: apply(left, v) for k, v in right.items()}
    raise Unsupported("binary operations between two vectors")


def _vector(value: Vector | float) -> Vector:
    if isinstance(value, float):
        raise Unsupported("a number where a vector is needed")
    return value


def _eval(expr: Any, scrapes: Sequence[Scrape], at: float) -> Vector | float:
    if isinstance(expr, promql_parser.NumberLiteral):
        return float(expr.val)
    if isinstance(expr, promql_parser.ParenExpr):
        return _eval(expr.expr, scrapes, at)
    if isinstance(expr, promql_parser.VectorSelector):
        latest = _series(scrapes, expr, at - LOOKBACK_S, at)
        return {labels: points[-1][1] for labels, points in latest.items()}
    if isinstance(expr, promql_parser.Call) and expr.func.name in ("rate", "increase", "irate"):
        return _range_function(expr, scrapes, at)
    if isinstance(expr, promql_parser.AggregateExpr):
        return _aggregate(expr, scrapes, at)
    if isinstance(expr, promql_parser.BinaryExpr):
        return _binary(expr, scrapes, at)
    raise Unsupported(type(expr).__name__)


def evaluate(query: str, scrapes: Iterable[Scrape], at: float | None = None) -> Vector | float:
    """The value of `query` at `at` (default: the last scrape's time) over `scrapes`."""
    taken = list(scrapes)
    when = max(s.time for s in taken) if at is None else at
    return _eval(promql_parser.parse(query), taken, when)
