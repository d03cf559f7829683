"""What an apply would change, object by object, written as a unified diff (pure: no cluster)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from ..output import dump_yaml
from ..pointers import JSON
from .normalize import normalize

__all__ = ["Change", "change", "summary", "unified"]

#: lines of context around each change
CONTEXT = 3


@dataclass(frozen=True)
class Change:
    """One object that differs: `before` None is an addition, `after` None a deletion. Both
    are normalized."""

    kind: str
    namespace: str
    name: str
    before: JSON
    after: JSON

    @property
    def title(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    def text(self) -> str:
        """A unified diff of the two objects' YAML (`/dev/null` for the side that is absent)."""
        old = dump_yaml(self.before).splitlines(keepends=True) if self.before is not None else []
        new = dump_yaml(self.after).splitlines(keepends=True) if self.after is not None else []
        lines = difflib.unified_diff(
            old,
            new,
            fromfile=f"{self.title} (live)" if self.before is not None else "/dev/null",
            tofile=f"{self.title} (after apply)" if self.after is not None else "/dev/null",
            n=CONTEXT,
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def change(kind: str, namespace: str, name: str, live: JSON, after: JSON) -> Change | None:
    """The change between the live object and the one an apply leaves (either may be None),
    or None when, server-set fields aside, they are the same."""
    before = None if live is None else normalize(live)
    wanted = None if after is None else normalize(after)
    return None if before == wanted else Change(kind, namespace, name, before, wanted)


def unified(changes: Sequence[Change]) -> str:
    """Every change's diff, in the order given."""
    return "".join(c.text() for c in changes)


def summary(changes: Sequence[Change]) -> str:
    """`2 to change, 1 to add, 0 to delete` (or `no changes`)."""
    if not changes:
        return "no changes"
    added = sum(c.before is None for c in changes)
    deleted = sum(c.after is None for c in changes)
    changed = len(changes) - added - deleted
    return f"{changed} to change, {added} to add, {deleted} to delete"
