"""The node vocabulary the server runs: its copy of schemas/implementations.json.

`make schemas` copies the repository's declaration here byte for byte (a test checks it); the
server reads only what it needs: node types, parameter types, each implementation's node
type, server class, model files, and the extra and image variant that carry its library, and
each detector's server class and reference files. The compiler reads the same file through its
own module, since neither distribution imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import orjson

__all__ = [
    "BATCHING_NODE_TYPES",
    "DETECTORS",
    "DETECTOR_PACKAGE",
    "IMPLEMENTATIONS",
    "NODE_TYPES",
    "PARAMETER_TYPES",
    "PREPACKAGED_PACKAGE",
    "Detector",
    "Implementation",
    "ParameterType",
]

#: The package the `server` entries ("module:Class") are relative to.
PREPACKAGED_PACKAGE = "infergraph_server.component.prepackaged"
#: The package the detectors' `server` entries are relative to.
DETECTOR_PACKAGE = "infergraph_server.detectors"


@dataclass(frozen=True)
class ParameterType:
    name: str
    parse: Literal["integer", "number", "boolean", "string", "json"]
    expected: str  # what an error message says a value should be


@dataclass(frozen=True)
class Implementation:
    name: str
    type: str
    server: str  # "module:Class" in PREPACKAGED_PACKAGE
    model_files: tuple[str, ...]  # looked for, in order, when modelUri is a directory
    parameters: tuple[str, ...]
    batchable: bool = False  # its predict is row-wise: concurrent requests may share a call
    extra: str | None = None  # the extra of infergraph-server that installs its library
    image_variant: str | None = None  # the image variant that has that extra
    gpu_extra: str | None = None  # the extra of its library's GPU build (in place of `extra`)
    gpu_image_variant: str | None = None  # the image variant a node with a GPU runs


@dataclass(frozen=True)
class Detector:
    name: str
    server: str  # "module:Class" in DETECTOR_PACKAGE
    reference_files: tuple[str, ...]  # looked for, in order, when modelUri is a directory
    parameters: tuple[str, ...]


def _read() -> Any:
    return orjson.loads(
        (resources.files("infergraph_server") / "implementations.json").read_bytes()
    )


_DOC = _read()
#: Every node type, in declaration order.
NODE_TYPES: tuple[str, ...] = tuple(_DOC["nodeTypes"])
#: The node types whose servers may batch (`batches` in the declaration).
BATCHING_NODE_TYPES: frozenset[str] = frozenset(
    name for name, spec in _DOC["nodeTypes"].items() if spec["batches"]
)
#: Every parameter type and the rule that reads its values (docs/contract.md "Parameters").
PARAMETER_TYPES: Mapping[str, ParameterType] = {
    name: ParameterType(name, spec["parse"], spec["expected"])
    for name, spec in _DOC["parameterTypes"].items()
}
#: Every prepackaged implementation this server runs, in declaration order (not those that
#: declare a `container` of their own instead of a `server` class).
IMPLEMENTATIONS: Mapping[str, Implementation] = {
    name: Implementation(
        name=name,
        type=spec["type"],
        server=spec["server"],
        model_files=tuple(spec.get("modelUri", {}).get("files", ())),
        parameters=tuple(spec["parameters"]),
        batchable=spec["batchable"],
        extra=spec.get("extra"),
        image_variant=spec.get("image", {}).get("variant"),
        gpu_extra=spec.get("image", {}).get("gpu", {}).get("extra"),
        gpu_image_variant=spec.get("image", {}).get("gpu", {}).get("variant"),
    )
    for name, spec in _DOC["implementations"].items()
    if "server" in spec
}
#: Every detector, in declaration order.
DETECTORS: Mapping[str, Detector] = {
    name: Detector(
        name=name,
        server=spec["server"],
        reference_files=tuple(spec["modelUri"]["files"]),
        parameters=tuple(spec["parameters"]),
    )
    for name, spec in _DOC["detectors"].items()
}
