"""Load a graph definition: read (YAML/JSON with positions), validate, build the typed model.

Public API:
- `load(path) -> Graph` and `load_text(text, source) -> Graph` raise `InvalidGraph` with every
  problem, each `FILE:LINE:COL: /pointer: what is wrong; what is expected`.
- `load_with_warnings(path) -> Loaded` and `load_text_with_warnings(text, source) -> Loaded`
  also return the warnings (`Loaded.warnings`, same `Problem` type): input that is accepted
  but has no effect, such as `seldon.io/engine-separate-pod` or SeldonDeployment `spec.name`.

Stages: syntax (first error only, with its position), then the schema (all errors), then the
semantic rules and Kubernetes' limits (`limits.py`; all problems), reported together. The rules
need the shape the schema guarantees, so they are skipped when the schema finds a wrong type, a
missing field or an unknown enum value; wrong values and unknown fields do not stop them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import Findings, InvalidGraph, Problem, sorted_problems
from ..model import Graph
from ..pointers import quote
from .detectors import detector_problems
from .input_file import read_input
from .limits import limit_problems
from .normalize import build
from .payload_logging import logging_problems
from .prepackaged import prepackaged_problems
from .reader import Document, SyntaxProblem, read
from .rules import graph_problems
from .schema import check_schema, json_type_name

__all__ = ["KINDS", "Loaded", "load", "load_text", "load_text_with_warnings", "load_with_warnings"]

#: the document kinds accepted, by `kind`
KINDS = ("InferenceGraph", "SeldonDeployment")


@dataclass(frozen=True)
class Loaded:
    """A valid graph and the warnings about it (sorted by pointer)."""

    graph: Graph
    warnings: tuple[Problem, ...]


def _kind_problem(data: object) -> tuple[str, str] | None:
    """Checked first: the kind decides which half of the schema applies."""
    if not isinstance(data, dict):
        what = "empty" if data is None else json_type_name(data)
        return (
            "",
            f"the document is {what}; expected a mapping with apiVersion, kind, metadata, spec",
        )
    if "kind" not in data:
        return "/kind", f"required field is missing; expected one of: {', '.join(KINDS)}"
    if data["kind"] not in KINDS:
        return (
            "/kind",
            f"{quote(data['kind'])} is not supported; expected one of: {', '.join(KINDS)}",
        )
    return None


def _located(doc: Document, source: str, found: list[tuple[str, str]]) -> tuple[Problem, ...]:
    return sorted_problems(Problem(source, at, message, *doc.locate(at)) for at, message in found)


def load_text_with_warnings(text: str, source: str) -> Loaded:
    """Load a definition from text; `source` names it in messages."""
    try:
        doc = read(text)
    except SyntaxProblem as err:
        raise InvalidGraph([Problem(source, "", err.message, err.line, err.col)]) from None
    findings = Findings()
    kind_problem = _kind_problem(doc.data)
    if kind_problem is not None:
        raise InvalidGraph(_located(doc, source, [kind_problem]))
    checked = check_schema(doc.data)
    findings.problems.extend(checked.problems)
    if checked.buildable:
        graph = build(doc.data, source, findings)
        findings.problems.extend(graph_problems(graph))
        findings.problems.extend(logging_problems(graph))
        findings.problems.extend(prepackaged_problems(graph))
        findings.problems.extend(detector_problems(graph))
        findings.problems.extend(limit_problems(doc.data, graph))
    if findings.problems:
        raise InvalidGraph(_located(doc, source, findings.problems))
    return Loaded(graph, _located(doc, source, findings.warnings))


def load_with_warnings(path: str | os.PathLike[str]) -> Loaded:
    """Load a definition file (UTF-8 YAML or JSON)."""
    source = os.fspath(path)
    try:
        raw = read_input(path)
    except OSError as err:
        reason = err.strerror or str(err)
        raise InvalidGraph([Problem(source, "", f"cannot read the file: {reason}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        col = err.start - raw.rfind(b"\n", 0, err.start)
        message = f"byte {err.start} is not UTF-8; expected a UTF-8 YAML or JSON file"
        raise InvalidGraph([Problem(source, "", message, line, col)]) from None
    return load_text_with_warnings(text, source)


def load(path: str | os.PathLike[str]) -> Graph:
    """The valid graph in `path`; raises `InvalidGraph` listing every problem."""
    return load_with_warnings(path).graph


def load_text(text: str, source: str) -> Graph:
    """The valid graph in `text`; raises `InvalidGraph` listing every problem."""
    return load_text_with_warnings(text, source).graph
