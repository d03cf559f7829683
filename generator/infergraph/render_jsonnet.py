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

from .pointers import JSON

__all__ = ["LIBRARY_DIR", "Binding", "JsonnetError", "evaluate", "render_jsonnet"]

Binding = Literal["jsonnet", "gojsonnet"]

#: The library beside the generator in a source checkout; INFERGRAPH_JSONNET points elsewhere.
LIBRARY_DIR = Path(
    os.environ.get("INFERGRAPH_JSONNET", Path(__file__).resolve().parents[2] / "jsonnet")
)
_MODULES: Mapping[Binding, str] = {"jsonnet": "_jsonnet", "gojsonnet": "_gojsonnet"}
_RENDER = "function(values, namespace) (import 'infergraph.libsonnet').render(values, namespace)"


class JsonnetError(RuntimeError):
    """The library stopped with an `error` (a bad prototype parameter, missing input)."""


def evaluate(
    snippet: str,
    *,
    tla_codes: Mapping[str, str] | None = None,
    tla_vars: Mapping[str, str] | None = None,
    binding: Binding = "gojsonnet",
    library: Path = LIBRARY_DIR,
) -> JSON:
    """Evaluate jsonnet code with the library on the import path; the parsed JSON result."""
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
        raise JsonnetError(str(exc).strip()) from None
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
