"""A problem found in a rendered Kubernetes object, located by a JSON Pointer inside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infergraph.pointers import PathPart, pointer

__all__ = ["Obj", "ObjectProblem"]

#: A rendered Kubernetes object as parsed from YAML/JSON.
Obj = Mapping[str, Any]


@dataclass(frozen=True, order=True)
class ObjectProblem:
    """One reason an object would be rejected by the cluster or by our policy."""

    kind: str
    name: str
    path: str
    reason: str

    @classmethod
    def at(cls, obj: Obj, parts: Iterable[PathPart], reason: str) -> ObjectProblem:
        """A problem of `obj` at the path `parts`; kind and name are read defensively."""
        meta = obj.get("metadata")
        name = meta.get("name") if isinstance(meta, Mapping) else None
        return cls(str(obj.get("kind") or "?"), str(name or "?"), pointer(parts), reason)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}: {self.path or '/'}: {self.reason}"
