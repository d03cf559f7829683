"""Turn jsonschema errors into Problems that point at the offending field and say the fix.

jsonschema reports an unknown field at its parent with a Python repr; Kubernetes users expect
the path of the field itself and a hint ("did you mean"), so the common rules get their own text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from infergraph.checks.problem import Obj, ObjectProblem
from infergraph.pointers import PathPart, quote

__all__ = ["schema_problems"]


def schema_problems(
    obj: Obj, validator: Validator, instance: Any, base: list[PathPart]
) -> Iterator[ObjectProblem]:
    """Validate `instance` (found at `base` inside `obj`) and explain every error."""
    for error in validator.iter_errors(instance):
        for parts, reason in _explain(error):
            yield ObjectProblem.at(obj, [*base, *parts], reason)


def _explain(error: ValidationError) -> Iterator[tuple[list[PathPart], str]]:
    """(path, reason) pairs for one error; an unknown-field error yields one per field."""
    path: list[PathPart] = list(error.absolute_path)
    rule, value, instance = error.validator, error.validator_value, error.instance
    if rule == "additionalProperties" and value is False and isinstance(instance, Mapping):
        for field in _unknown_fields(error.schema, instance):
            yield [*path, field], _unknown_reason(field, error.schema)
    elif rule == "required" and isinstance(instance, Mapping):
        for field in value:
            if field not in instance:
                yield [*path, field], "required field is missing"
    elif rule == "type":
        expected = " or ".join(value) if isinstance(value, list) else value
        yield path, f"{quote(instance)} is not of type {expected}"
    elif rule == "enum":
        yield path, f"{quote(instance)} is not one of {', '.join(quote(v) for v in value)}"
    elif rule == "const":
        yield path, f"{quote(instance)} must be {quote(value)}"
    elif rule in ("anyOf", "oneOf") and error.context:
        # The sub-error that went deepest is the one a reader can act on.
        yield from _explain(best_match(error.context))
    elif rule == "oneOf":
        yield path, f"{quote(instance)} sets more than one of a set of mutually exclusive fields"
    else:
        yield path, f"{quote(instance)} does not satisfy {rule} {quote(value)}"


def _unknown_fields(schema: Mapping[str, Any], instance: Mapping[str, Any]) -> list[str]:
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [
        field
        for field in instance
        if field not in known and not any(re.search(p, field) for p in patterns)
    ]


def _unknown_reason(field: str, schema: Mapping[str, Any]) -> str:
    known = sorted(schema.get("properties", {}))
    close = difflib.get_close_matches(field, known, n=1)
    if close:
        return f"unknown field {quote(field)}; did you mean {quote(close[0])}?"
    return f"unknown field {quote(field)}; known fields: {', '.join(known) or 'none'}"
