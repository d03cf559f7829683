"""Every error the generator raises on purpose, in one hierarchy, and problems as data.

    InfergraphError              exit 1  root: `except InfergraphError` catches all of ours
    ├── InvalidGraph             exit 1  the definition is wrong; `problems` lists every one
    ├── UsageError               exit 2  an argument the command cannot use
    │   ├── UnknownPredictor             --predictor names no predictor of the graph
    │   └── OutputRefused                -o names something we may not write (nothing written)
    ├── OutputFailed             exit 1  writing the output failed (permission, disk, closed pipe)
    ├── SetupError               exit 1  the chart, jsonnet library or schemas are not where set
    ├── ClusterError             exit 2  a cluster is unreachable, refuses us or rejects an object
    │   └── NotFound                     the API server has no such object
    └── ToolError                exit 1  an external tool is missing or failed
        ├── HelmError                    helm
        ├── JsonnetError                 the jsonnet library stopped with an `error`
        └── GraphvizError                Graphviz `dot`

`cli.main` prints `str(error)` (one line, or one line per problem) and exits with
`error.exit_code`; failures underneath that are not ours (OSError, a closed stdout, Ctrl-C)
it maps itself. `Problem` is one located problem: file, line, column, JSON Pointer, message.
Warnings (input that is accepted but has no effect) use the same `Problem` type.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "ClusterError",
    "Findings",
    "GraphvizError",
    "HelmError",
    "InfergraphError",
    "InvalidGraph",
    "JsonnetError",
    "NotFound",
    "OutputFailed",
    "OutputRefused",
    "Problem",
    "SetupError",
    "ToolError",
    "UnknownPredictor",
    "UsageError",
    "pointer_key",
    "sorted_problems",
]


class InfergraphError(Exception):
    """The root of the generator's errors; `exit_code` is what the CLI exits with."""

    exit_code: ClassVar[int] = 1


class UsageError(InfergraphError):
    """A command-line argument (or API argument) the command cannot use; nothing was written."""

    exit_code: ClassVar[int] = 2


class UnknownPredictor(UsageError):
    """A predictor name the caller asked for that the graph does not have."""


class OutputRefused(UsageError):
    """The output target is something we did not create and may not replace (a directory for a
    file, a link, a device, a file another program wrote); nothing was written."""


class OutputFailed(InfergraphError):
    """Writing the output failed part-way (permission, full disk, a closed stdout)."""


class SetupError(InfergraphError):
    """Something the generator reads besides the graph (the chart, the jsonnet library, the
    CRD schemas; each relocatable by an INFERGRAPH_* variable) is missing or unreadable."""


class ClusterError(InfergraphError):
    """Talking to a live cluster failed: no kubeconfig, no API server, credentials refused, a
    forbidden request, an object rejected. Exit 2, so that `diff` and `status` keep 1 for
    "changes" and "not ready" and a CI gate can tell the three apart."""

    exit_code: ClassVar[int] = 2


class NotFound(ClusterError):
    """The API server answered 404: no such object (or namespace)."""


class ToolError(InfergraphError):
    """An external tool the command runs is missing or failed."""


class HelmError(ToolError):
    """helm is missing, or `helm template` failed."""


class JsonnetError(ToolError):
    """The jsonnet library stopped with an `error` (a bad prototype parameter, missing input)."""


class GraphvizError(ToolError):
    """SVG needs a working Graphviz `dot` on PATH."""


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
        (0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
        for part in pointer.split("/")
    )


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Distinct problems ordered by pointer, then message."""
    return tuple(sorted(set(problems), key=lambda p: (pointer_key(p.pointer), p.message)))


class InvalidGraph(InfergraphError):
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
