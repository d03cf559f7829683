"""JSON values and where they sit: the one `JSON` alias, JSON Pointers and quoted values.

Every message of ours names a place (a JSON Pointer) and quotes the bad value as JSON, never as
a Python repr; these helpers are shared by the load stage and the object checks.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

__all__ = ["JSON", "PathPart", "pointer", "quote"]

#: A value parsed from YAML or JSON (or about to be written as one).
JSON = Any
#: One step of a path into a JSON value: a key or an array index.
PathPart = str | int


def pointer(parts: Iterable[PathPart]) -> str:
    """Write path parts as an RFC 6901 JSON Pointer (`~` and `/` escaped), "" for the root."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def quote(value: Any, limit: int = 60) -> str:
    """Show a value as JSON, shortened: messages quote the bad value, never a Python repr."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
