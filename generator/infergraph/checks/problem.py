"""A problem found in a rendered Kubernetes object, located by a JSON Pointer inside it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Obj", "PathPart", "Problem", "pointer", "quote"]

#: A rendered Kubernetes object as parsed from YAML/JSON.
Obj = Mapping[str, Any]
PathPart = str | int


def pointer(parts: Iterable[PathPart]) -> str:
    """Write path parts as an RFC 6901 JSON Pointer (`~` and `/` escaped), "" for the root."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def quote(value: Any, limit: int = 60) -> str:
    """Show a value as JSON, shortened: messages quote the bad value, never a Python repr."""
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True, order=True)
class Problem:
    """One reason an object would be rejected by the cluster or by our policy."""

    kind: str
    name: str
    path: str
    reason: str

    @classmethod
    def at(cls, obj: Obj, parts: Iterable[PathPart], reason: str) -> Problem:
        """A problem of `obj` at the path `parts`; kind and name are read defensively."""
        meta = obj.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        return cls(str(obj.get("kind") or "?"), str(name or "?"), pointer(parts), reason)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.path or '/'}: {self.reason}"
