"""The vocabulary of graph nodes, read from `schemas/implementations.json` (its one declaration).

Node types, parameter types, prepackaged implementations and detectors are declared there once;
the schema enums and docs/implementations.md are generated from it (`make schemas`) and the
server ships a byte-equal copy. `NodeType` repeats the node type names only so that mypy can
check them; a test keeps it equal to the declaration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from .pointers import JSON

__all__ = [
    "VOCABULARY",
    "Children",
    "ContainerSpec",
    "DetectorSpec",
    "GpuImage",
    "Implementation",
    "ModelUriSpec",
    "NodeType",
    "NodeTypeSpec",
    "ParameterSpec",
    "ParameterType",
    "Vocabulary",
    "parse_vocabulary",
    "schema_text",
]

NodeType = Literal["MODEL", "TRANSFORMER", "OUTPUT_TRANSFORMER", "ROUTER", "COMBINER"]
VOCABULARY_FILE = "implementations.json"


def schema_text(name: str) -> str:
    """A file of `schemas/`: package data when installed, else the repository's copy."""
    packaged = resources.files("infergraph") / "schemas" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "schemas" / name).read_text("utf-8")


@dataclass(frozen=True)
class Children:
    """How many children a node may have; `maximum` None: any number."""

    minimum: int
    maximum: int | None = None

    def expected(self, count: int) -> str | None:
        """ "exactly 2", "at least 1", ... when `count` breaks the rule; None when it keeps it."""
        low, high = self.minimum, self.maximum
        if low <= count and (high is None or count <= high):
            return None
        if low == high:
            return f"exactly {low}"
        if high is None:
            return f"at least {low}"
        return f"at most {high}" if low == 0 else f"between {low} and {high}"


@dataclass(frozen=True)
class NodeTypeSpec:
    name: NodeType
    description: str
    method: str  # the component-class method this node type calls
    batches: bool  # a node of this type may set `batching`
    children: Children


@dataclass(frozen=True)
class ParameterType:
    name: str
    parse: Literal["integer", "number", "boolean", "string", "json"]
    expected: str  # what an error message says a value should be


@dataclass(frozen=True)
class ParameterSpec:
    """A parameter of a prepackaged implementation; `required` when it declares no default."""

    name: str
    type: str
    description: str
    required: bool
    default: JSON = None
    minimum: float | None = None
    maximum: float | None = None
    enum: tuple[JSON, ...] | None = None


@dataclass(frozen=True)
class ModelUriSpec:
    required: bool
    files: tuple[str, ...]
    holds: str


@dataclass(frozen=True)
class ContainerSpec:
    """The image an implementation runs instead of our server, and how it is told its settings.

    `flags` maps each compiled setting (modelPath, httpPort, grpcPort, metricsPort) to the
    image's own flag, written `FLAG=VALUE` after `args` in declaration order.
    """

    image: str
    args: tuple[str, ...]
    flags: Mapping[str, str]


@dataclass(frozen=True)
class GpuImage:
    """The image variant a node with a GPU runs instead, and the extra that installs the GPU
    build of its library there (in place of the CPU build: both own the same module)."""

    variant: str
    extra: str


@dataclass(frozen=True)
class Implementation:
    """A prepackaged implementation; `children` is its own rule, else its node type's.
    Exactly one of `server` (a class of our server) and `container` (its own image) is set."""

    name: str
    type: NodeType
    description: str
    server: str | None
    container: ContainerSpec | None
    requires: tuple[str, ...]
    protocols: tuple[str, ...]
    batchable: bool  # its method is row-wise: requests may be merged into one call
    children: Children
    model_uri: ModelUriSpec | None
    parameters: Mapping[str, ParameterSpec]
    extra: str | None = None  # the extra of infergraph-server that installs its library
    image_variant: str | None = None  # its nodes run `<server image>-<variant>`; None: the default
    gpu_image: GpuImage | None = None  # what its nodes with an nvidia.com/gpu limit run instead

    def variant_for(self, gpus: int) -> str | None:
        """The image variant of a node asking for `gpus` GPUs."""
        return self.gpu_image.variant if gpus and self.gpu_image else self.image_variant


@dataclass(frozen=True)
class DetectorSpec:
    """A prepackaged detector: a server fed the payload-log stream, not a graph node."""

    name: str
    description: str
    server: str
    requires: tuple[str, ...]
    model_uri: ModelUriSpec
    parameters: Mapping[str, ParameterSpec]


@dataclass(frozen=True)
class Vocabulary:
    node_types: Mapping[str, NodeTypeSpec]
    parameter_types: Mapping[str, ParameterType]
    implementations: Mapping[str, Implementation]
    detectors: Mapping[str, DetectorSpec]


def _children(doc: Mapping[str, JSON]) -> Children:
    return Children(minimum=doc["minimum"], maximum=doc.get("maximum"))


def _parameter(name: str, doc: Mapping[str, JSON]) -> ParameterSpec:
    enum = doc.get("enum")
    return ParameterSpec(
        name=name,
        type=doc["type"],
        description=doc["description"],
        required="default" not in doc,
        default=doc.get("default"),
        minimum=doc.get("minimum"),
        maximum=doc.get("maximum"),
        enum=None if enum is None else tuple(enum),
    )


def _model_uri(doc: Mapping[str, JSON]) -> ModelUriSpec:
    return ModelUriSpec(doc["required"], tuple(doc["files"]), doc["holds"])


def _detector(name: str, doc: Mapping[str, JSON]) -> DetectorSpec:
    return DetectorSpec(
        name=name,
        description=doc["description"],
        server=doc["server"],
        requires=tuple(doc["requires"]),
        model_uri=_model_uri(doc["modelUri"]),
        parameters={p: _parameter(p, spec) for p, spec in doc["parameters"].items()},
    )


def _implementation(
    name: str, doc: Mapping[str, JSON], node_types: Mapping[str, NodeTypeSpec]
) -> Implementation:
    node_type = node_types[doc["type"]]
    uri, own = doc.get("modelUri"), doc.get("container")
    gpu = doc.get("image", {}).get("gpu")
    return Implementation(
        name=name,
        type=node_type.name,
        description=doc["description"],
        server=doc.get("server"),
        container=None
        if own is None
        else ContainerSpec(own["image"], tuple(own["args"]), dict(own["flags"])),
        requires=tuple(doc["requires"]),
        protocols=tuple(doc["protocols"]),
        batchable=doc["batchable"],
        children=_children(doc["children"]) if "children" in doc else node_type.children,
        model_uri=None if uri is None else _model_uri(uri),
        parameters={p: _parameter(p, spec) for p, spec in doc["parameters"].items()},
        extra=doc.get("extra"),
        image_variant=doc.get("image", {}).get("variant"),
        gpu_image=None if gpu is None else GpuImage(gpu["variant"], gpu["extra"]),
    )


def _cross_check(doc: Mapping[str, JSON]) -> None:
    """What the file's JSON schema cannot express: names that point at declared types."""
    if tuple(doc["nodeTypes"]) != get_args(NodeType):
        raise ValueError(f"nodeTypes: {list(doc['nodeTypes'])} differ from NodeType")
    for name, raw in doc["implementations"].items():
        if raw["type"] not in doc["nodeTypes"]:
            raise ValueError(f"implementations.{name}.type: {raw['type']!r} is no node type")
        if "image" in raw and "extra" not in raw:
            raise ValueError(f"implementations.{name}.image: an image variant needs an extra")
    for section in ("implementations", "detectors"):
        for name, raw in doc[section].items():
            for parameter, spec in raw["parameters"].items():
                if spec["type"] not in doc["parameterTypes"]:
                    raise ValueError(
                        f"{section}.{name}.parameters.{parameter}.type: "
                        f"{spec['type']!r} is no parameter type"
                    )


def parse_vocabulary(doc: Mapping[str, JSON]) -> Vocabulary:
    """The typed vocabulary of a document shaped by schemas/implementations.schema.json."""
    _cross_check(doc)
    node_types = {
        name: NodeTypeSpec(
            name,
            spec["description"],
            spec["method"],
            spec["batches"],
            _children(spec["children"]),
        )
        for name, spec in doc["nodeTypes"].items()
    }
    return Vocabulary(
        node_types=node_types,
        parameter_types={
            name: ParameterType(name, spec["parse"], spec["expected"])
            for name, spec in doc["parameterTypes"].items()
        },
        implementations={
            name: _implementation(name, spec, node_types)
            for name, spec in doc["implementations"].items()
        },
        detectors={name: _detector(name, spec) for name, spec in doc["detectors"].items()},
    )


#: The vocabulary declared in schemas/implementations.json.
VOCABULARY = parse_vocabulary(json.loads(schema_text(VOCABULARY_FILE)))
