"""Check a document against `schemas/inferencegraph.schema.json`, explaining each error in words.

The schema is compiled once into plain Python closures, one per subschema. jsonschema walks
a 2,000-node graph in ~0.4 s, over the whole load budget; the closures take a tenth of that
and produce our messages directly (`<what is wrong>; <what is expected>`, at the pointer of
the field itself). Only the keywords listed in `KEYWORDS` are implemented, the compiler
refuses any other, and a test checks that jsonschema agrees with every verdict.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import NamedTuple

from ..pointers import JSON, pointer, quote
from ..vocabulary import schema_text

__all__ = [
    "KEYWORDS",
    "SCHEMA_NAME",
    "SchemaCheck",
    "check_schema",
    "json_type_name",
    "schema",
]

Found = list[tuple[str, str, bool]]  # (pointer, message, the shape itself is wrong)
Check = Callable[[JSON, str, Found], None]

SCHEMA_NAME = "inferencegraph.schema.json"
#: keywords the compiler implements; annotations (description, default, ...) are skipped
KEYWORDS = frozenset(
    {"type", "enum", "const", "properties", "additionalProperties", "required", "propertyNames"}
    | {"items", "minItems", "maxItems", "minimum", "maximum", "minLength", "maxLength"}
    | {"pattern", "$ref", "if", "then", "else"}
)
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default"})
_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _is(kind: str, value: JSON) -> bool:
    if kind in ("integer", "number") and isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    python = {"string": str, "number": int | float, "boolean": bool, "object": dict, "array": list}
    return value is None if kind == "null" else isinstance(value, python[kind])


def json_type_name(value: JSON) -> str:
    """ "a string", "a list", ...: how messages name the type of a value."""
    for kind in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _is(kind, value) and not (kind == "integer" and isinstance(value, float)):
            return _TYPE_NAMES[kind]
    return _TYPE_NAMES["number"]


def _same(a: JSON, b: JSON) -> bool:
    """JSON equality: true is not 1."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@cache
def schema() -> Mapping[str, JSON]:
    """The graph-definition schema: package data when installed, else the repository's copy."""
    loaded: Mapping[str, JSON] = json.loads(schema_text(SCHEMA_NAME))
    return loaded


class _Compiler:
    """Turns each subschema into a closure `check(value, pointer, found)` that appends problems."""

    def __init__(self, root: Mapping[str, JSON]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def resolve(self, schema: Mapping[str, JSON]) -> Mapping[str, JSON]:
        """Follow `$ref`s until a subschema that describes itself."""
        while "$ref" in schema and "description" not in schema:
            schema = self.root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
        return schema

    def ref(self, ref: str) -> Check:
        """A check for `#/$defs/<name>`, compiled once; recursion goes through a late lookup."""
        if ref not in self.refs:
            target: list[Check] = []
            self.refs[ref] = lambda value, at, found: target[0](value, at, found)
            target.append(self.compile(self.root["$defs"][ref.removeprefix("#/$defs/")]))
        return self.refs[ref]

    def compile(self, schema: Mapping[str, JSON]) -> Check:
        unknown = set(schema) - KEYWORDS - _ANNOTATIONS
        if unknown:
            raise ValueError(f"schema keywords not implemented: {sorted(unknown)}")
        checks: list[Check] = []
        for word in schema:
            check = self.keyword(word, schema) if word in KEYWORDS else None
            if check is not None:
                checks.append(check)
        types = schema.get("type")
        wanted = [] if types is None else types if isinstance(types, list) else [types]
        expected = " or ".join(_TYPE_NAMES[t] for t in wanted)

        def typed(value: JSON, at: str, found: Found) -> None:
            if wanted and not any(_is(kind, value) for kind in wanted):
                message = f"{quote(value)} is {json_type_name(value)}; expected {expected}"
                found.append((at, message, True))
                return
            for check in checks:
                check(value, at, found)

        return typed

    def keyword(self, word: str, schema: Mapping[str, JSON]) -> Check | None:
        rule = schema[word]
        if word in ("type", "then", "else"):  # applied by `compile` and by "if"
            return None
        if word == "$ref":
            return self.ref(rule)
        if word in ("enum", "const"):
            choices = rule if word == "enum" else [rule]
            words = ", ".join(quote(c) for c in choices)
            expected = f"one of: {words}" if word == "enum" else words

            def member(value: JSON, at: str, found: Found) -> None:
                if not any(_same(value, choice) for choice in choices):
                    found.append(
                        (at, f"{quote(value)} is not supported; expected {expected}", True)
                    )

            return member
        if word == "if":
            condition = self.compile(rule)
            then = self.compile(schema.get("then", {}))
            otherwise = self.compile(schema.get("else", {}))

            def branch(value: JSON, at: str, found: Found) -> None:
                probe: Found = []
                condition(value, at, probe)
                (otherwise if probe else then)(value, at, found)

            return branch
        if word in ("properties", "additionalProperties", "required", "propertyNames"):
            return self.object_keyword(word, schema) if word != "properties" else self.members(rule)
        if word in ("items", "minItems", "maxItems"):
            return self.array_keyword(word, rule)
        return self.scalar_keyword(word, rule, schema.get("description", ""))

    def members(self, properties: Mapping[str, JSON]) -> Check:
        compiled = [(name, pointer([name]), self.compile(sub)) for name, sub in properties.items()]

        def check(value: JSON, at: str, found: Found) -> None:
            if isinstance(value, dict):
                for name, suffix, sub in compiled:
                    if name in value:
                        sub(value[name], at + suffix, found)

        return check

    def object_keyword(self, word: str, schema: Mapping[str, JSON]) -> Check:
        rule = schema[word]
        if word == "required":
            properties = schema.get("properties", {})
            wanted = {
                name: self.resolve(properties.get(name, {})).get("description", "a value")
                for name in rule
            }

            def required(value: JSON, at: str, found: Found) -> None:
                if isinstance(value, dict):
                    for name, expected in wanted.items():
                        if name not in value:
                            message = f"required field is missing; expected {expected}"
                            found.append((at + pointer([name]), message, True))

            return required
        if word == "propertyNames":
            names = self.compile(rule)
            expected = self.resolve(rule).get("description", "")

            def keys(value: JSON, at: str, found: Found) -> None:
                for key in value if isinstance(value, dict) else ():
                    probe: Found = []
                    names(key, at, probe)
                    if probe:
                        message = f"key {quote(key)} is not valid; expected {expected}"
                        found.append((at + pointer([key]), message, False))

            return keys
        known = sorted(schema.get("properties", {}))
        extra = None if rule is False else self.compile(rule)

        def others(value: JSON, at: str, found: Found) -> None:
            for key in value if isinstance(value, dict) else ():
                if key not in known:
                    if extra is None:
                        found.append((at + pointer([key]), _unknown(key, known), False))
                    else:
                        extra(value[key], at + pointer([key]), found)

        return others

    def array_keyword(self, word: str, rule: JSON) -> Check:
        if word == "items":
            item = self.compile(rule)

            def items(value: JSON, at: str, found: Found) -> None:
                if isinstance(value, list):
                    for index, element in enumerate(value):
                        item(element, f"{at}/{index}", found)

            return items
        fewest = word == "minItems"

        def count(value: JSON, at: str, found: Found) -> None:
            if isinstance(value, list) and (len(value) < rule if fewest else len(value) > rule):
                bound = "at least" if fewest else "at most"
                found.append((at, f"has {len(value)} items; expected {bound} {rule}", False))

        return count

    def scalar_keyword(self, word: str, rule: JSON, description: str) -> Check:
        if word == "pattern":
            regex = re.compile(rule)

            def pattern(value: JSON, at: str, found: Found) -> None:
                if isinstance(value, str) and not regex.search(value):
                    found.append(
                        (at, f"{quote(value)} is not valid; expected {description}", False)
                    )

            return pattern
        if word in ("minimum", "maximum"):
            low = word == "minimum"

            def bound(value: JSON, at: str, found: Found) -> None:
                if _is("number", value) and (value < rule if low else value > rule):
                    text = f"too small; expected at least {rule}" if low else "too large"
                    text = text if low else f"{text}; expected at most {rule}"
                    found.append((at, f"{quote(value)} is {text}", False))

            return bound
        shortest = word == "minLength"

        def length(value: JSON, at: str, found: Found) -> None:
            if isinstance(value, str) and (len(value) < rule if shortest else len(value) > rule):
                size = f"{quote(value)} is {len(value)} characters long"
                if not value:
                    found.append((at, "is empty; expected a non-empty string", False))
                else:
                    bound = "at least" if shortest else "at most"
                    found.append((at, f"{size}; expected {bound} {rule}", False))

        return length


def _unknown(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f"{quote(name)} is not a supported field; {hint}supported: {', '.join(known)}"


@cache
def _root_check() -> Check:
    return _Compiler(schema()).compile(schema())


class SchemaCheck(NamedTuple):
    """The schema's verdict: every problem, and whether the model can still be built.

    Wrong values (a bad name, an unknown field, a number out of range) leave the shape the
    builder reads intact, so the semantic rules still run and all problems are reported in
    one pass; a wrong type, a missing field or an unknown enum value stops there.
    """

    problems: list[tuple[str, str]]
    buildable: bool


def check_schema(data: JSON) -> SchemaCheck:
    """Validate `data` against the graph-definition schema."""
    found: Found = []
    _root_check()(data, "", found)
    return SchemaCheck([(at, message) for at, message, _ in found], not any(f[2] for f in found))
