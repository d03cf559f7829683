"""Typed node parameters: the one parsing rule of docs/contract.md "Parameters", server side.

The compiler reads parameters by the same rule (its own code: neither distribution imports the
other); tests/parameter_cases.json holds the cases both sides must agree on. A value that does
not parse is an error naming the parameter, never a silent default.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from infergraph_server.vocabulary import PARAMETER_TYPES

__all__ = ["ParameterError", "parse_value"]

_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_BOOLS = {"true": True, "1": True, "false": False, "0": False}


class ParameterError(ValueError):
    """A value that its declared type does not read; the message says what was expected."""


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON


def _parse(rule: str, value: Any) -> Any:
    if rule == "json":
        document = value if isinstance(value, str) else json.dumps(value)
        return json.loads(document, parse_constant=_constant, parse_float=_finite)
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


def parse_value(kind: str, value: Any) -> Any:
    """`value` (a JSON value, usually the compiler's text) read as parameter type `kind`."""
    declared = PARAMETER_TYPES.get(kind)
    if declared is None:
        raise ParameterError(f'type "{kind}" is unknown; use one of {", ".join(PARAMETER_TYPES)}')
    try:
        return _parse(declared.parse, value)
    except (ValueError, OverflowError, RecursionError):
        shown = json.dumps(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise ParameterError(
            f"{shown} is not a valid {kind}; expected {declared.expected}"
        ) from None
