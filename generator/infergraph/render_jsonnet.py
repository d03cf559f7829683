"""The jsonnet engine: evaluate jsonnet/infergraph.libsonnet on compiled values, in process.

The Go binding (`gojsonnet`) is the default, about ten times faster here than the C++ one
(`jsonnet`); both evaluate the library to the same objects, which tests/jsonnet checks.
No subprocess, so a render can be timed in process (bench/).
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from .errors import JsonnetError, SetupError
from .pointers import JSON

__all__ = ["LIBRARY_DIR", "LIBRARY_ENV", "Binding", "JsonnetError", "evaluate", "render_jsonnet"]

Binding = Literal["jsonnet", "gojsonnet"]

#: Environment variable naming another copy of the jsonnet/ folder.
LIBRARY_ENV = "INFERGRAPH_JSONNET"
#: The library beside the generator in a source checkout; INFERGRAPH_JSONNET points elsewhere.
LIBRARY_DIR = Path(os.environ.get(LIBRARY_ENV, Path(__file__).resolve().parents[2] / "jsonnet"))
_MODULES: Mapping[Binding, str] = {"jsonnet": "_jsonnet", "gojsonnet": "_gojsonnet"}
_LIBRARY = "infergraph.libsonnet"
_RENDER = f"function(values, namespace) (import '{_LIBRARY}').render(values, namespace)"


def _check_library(library: Path) -> None:
    if not (library / _LIBRARY).is_file():
        fix = (
            f"unset {LIBRARY_ENV} or point it at a copy of the jsonnet/ folder"
            if LIBRARY_ENV in os.environ
            else f"use infergraph from a source checkout, or set {LIBRARY_ENV} to jsonnet/"
        )
        raise SetupError(f"{library}: no {_LIBRARY} there; {fix}")


def _one_line(trace: str) -> str:
    """`RUNTIME ERROR: what (at file:line:col)`: the message and its innermost frame."""
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    if len(lines) < 2:
        return lines[0] if lines else "jsonnet failed"
    return f"{lines[0]} (at {lines[1].split()[0]})"


def evaluate(
    snippet: str,
    *,
    tla_codes: Mapping[str, str] | None = None,
    tla_vars: Mapping[str, str] | None = None,
    binding: Binding = "gojsonnet",
    library: Path = LIBRARY_DIR,
) -> JSON:
    """Evaluate jsonnet code with the library on the import path; the parsed JSON result."""
    _check_library(library)
    module = importlib.import_module(_MODULES[binding])
    try:
        text = module.evaluate_snippet(
            "<infergraph>",
            snippet,
            jpathdir=str(library),
            tla_codes=dict(tla_codes or {}),
            tla_vars=dict(tla_vars or {}),
        )
    except RuntimeError as exc:
        raise JsonnetError(_one_line(str(exc))) from None
    return json.loads(text)


def render_jsonnet(
    values: JSON,
    namespace: str = "default",
    *,
    binding: Binding = "gojsonnet",
    library: Path = LIBRARY_DIR,
) -> list[JSON]:
    """The objects `render(values, namespace)` of the library returns, in its order."""
    objects: list[JSON] = evaluate(
        _RENDER,
        tla_codes={"values": json.dumps(values)},
        tla_vars={"namespace": namespace},
        binding=binding,
        library=library,
    )
    return objects
