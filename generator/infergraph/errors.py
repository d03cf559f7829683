"""Problems with a graph definition, as data: where (file, line, column, JSON Pointer) and what.

`InvalidGraph` carries every problem found, sorted by pointer, so one run lists them all.
Warnings (input that is accepted but has no effect) use the same `Problem` type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Findings", "InvalidGraph", "Problem", "pointer_key", "sorted_problems"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong at `pointer` ("" for the whole document, syntax errors and I/O).

    `str(p)` is `FILE:LINE:COL: /pointer: message`; the location parts are left out when
    unknown (no line for I/O errors, no pointer for syntax errors).
    """

    source: str
    pointer: str
    message: str
    line: int | None = None
    col: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}:{self.col}"
        return (
            f"{where}: {self.pointer}: {self.message}"
            if self.pointer
            else f"{where}: {self.message}"
        )


def pointer_key(pointer: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key of a JSON Pointer: segment by segment, array indices numerically."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pointer.split("/")
    )


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Distinct problems ordered by pointer, then message."""
    return tuple(sorted(set(problems), key=lambda p: (pointer_key(p.pointer), p.message)))


class InvalidGraph(Exception):
    """The definition cannot be compiled; `problems` lists every reason, sorted by pointer."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = sorted_problems(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Findings:
    """Problems and warnings gathered while checking one document, as (pointer, message)."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []

    def error(self, pointer: str, message: str) -> None:
        self.problems.append((pointer, message))

    def warn(self, pointer: str, message: str) -> None:
        self.warnings.append((pointer, message))
