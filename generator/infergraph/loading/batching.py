"""A node's adaptive batching, from its `batching` field or its container's environment.

A SeldonDeployment has no `batching` field: its nodes ask for batching through the two
variables the server reads, in the componentSpecs container's `env`. They are read here into
the same `Batching`, so the same bounds and the same rules (MODEL only, batchable
implementations) apply, and they leave the pass-through env, which would otherwise silently
override what the compiler writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from ..errors import Findings
from ..model import BATCHING_ENV, Batching
from ..pointers import JSON, quote
from .schema import schema

__all__ = ["node_batching"]


@cache
def _fields() -> Mapping[str, Mapping[str, JSON]]:
    """The `batching` field schemas: their type and bounds are declared there, once."""
    batching = schema()["$defs"]["node"]["properties"]["batching"]
    fields: Mapping[str, Mapping[str, JSON]] = batching["properties"]
    return fields


def _number(text: str, field: Mapping[str, JSON]) -> float | None:
    """`text` read as the field's number within its bounds, or None."""
    try:
        value = int(text) if field["type"] == "integer" else float(text)
    except ValueError:
        return None
    return value if field["minimum"] <= value <= field["maximum"] else None


def _from_env(
    env: tuple[Mapping[str, JSON], ...], env_at: str, findings: Findings
) -> tuple[dict[str, float], list[str]]:
    """The batching fields the env sets, by field name, and the pointers of their entries."""
    values: dict[str, float] = {}
    where: list[str] = []
    for i, var in enumerate(env):
        field_name = BATCHING_ENV.get(str(var["name"]))
        if field_name is None:
            continue
        at, field = f"{env_at}/{i}", _fields()[field_name]
        where.append(at)
        value = _number(str(var["value"]), field) if "value" in var else None
        if value is None:
            kind = "a whole number" if field["type"] == "integer" else "a number"
            got = quote(str(var["value"])) if "value" in var else "valueFrom"
            findings.error(
                f"{at}/value" if "value" in var else at,
                f"{got} is not valid for {var['name']}; expected {kind} literal from "
                f"{field['minimum']:g} to {field['maximum']:g}",
            )
        else:
            values[field_name] = value
    return values, where


def node_batching(
    raw: Mapping[str, JSON],
    at: str,
    env: tuple[Mapping[str, JSON], ...],
    env_at: str,
    findings: Findings,
) -> tuple[Batching | None, tuple[Mapping[str, JSON], ...]]:
    """(The node's batching, its env without the batching variables.)"""
    values, where = _from_env(env, env_at, findings)
    rest = tuple(var for var in env if var["name"] not in BATCHING_ENV)
    if where and "batching" in raw:
        findings.error(where[0], f"is also set at {at}/batching; expected it in one place")
    if "batching" in raw:
        own = raw["batching"]
        size, latency = int(own["maxBatchSize"]), float(own["maxLatencyMs"])
        return Batching(size, latency, f"{at}/batching"), rest
    if not where:
        return None, rest
    named = {str(var["name"]) for var in env}
    missing = [name for name in BATCHING_ENV if name not in named]
    if missing:
        findings.error(where[0], f"is set without {missing[0]}; expected both batching variables")
    if len(values) < len(BATCHING_ENV):
        return None, rest
    return Batching(int(values["maxBatchSize"]), values["maxLatencyMs"], where[0]), rest
