"""The runtime graph (docs/contract.md "Runtime graph"), parsed once into frozen dataclasses.

The compiler writes every field, so parsing checks presence and types and nothing else:
the orchestrator decides nothing the compiler has not already written down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import orjson

from infergraph_server.vocabulary import NODE_TYPES

__all__ = ["NODE_TYPES", "GraphError", "RuntimeGraph", "RuntimeNode", "load_graph", "parse_graph"]

NodeType = Literal["MODEL", "TRANSFORMER", "OUTPUT_TRANSFORMER", "ROUTER", "COMBINER"]


class GraphError(ValueError):
    """A runtime graph that cannot be run; the message names the JSON Pointer at fault."""


@dataclass(frozen=True, eq=False)
class RuntimeNode:
    """One node server the orchestrator calls; `children` keep the graph's order."""

    name: str
    type: NodeType
    implementation: str | None
    image: str | None
    host: str
    http_port: int
    grpc_port: int
    timeout_ms: int
    retries: int
    children: tuple[RuntimeNode, ...]

    @property
    def path_label(self) -> str:
        """What `meta.requestPath` records for this node: the implementation, else the image."""
        return self.implementation or self.image or ""

    def walk(self) -> tuple[RuntimeNode, ...]:
        """This node and every node below it, parents first."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)


@dataclass(frozen=True, eq=False)
class RuntimeGraph:
    """One predictor's graph as its orchestrator runs it."""

    graph: str
    predictor: str
    protocol: Literal["seldon", "v2"]
    transport: Literal["rest", "grpc"]
    max_concurrency: int
    max_body_bytes: int
    root: RuntimeNode

    def nodes(self) -> tuple[RuntimeNode, ...]:
        """Every node, parents first."""
        return self.root.walk()


def _field(doc: dict[str, Any], key: str, kind: type | tuple[type, ...], pointer: str) -> Any:
    if key not in doc:
        raise GraphError(f"{pointer}/{key}: missing; the compiler writes every field")
    value = doc[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise GraphError(f"{pointer}/{key}: {value!r} has the wrong type; expected {kind}")
    return value


def _choice(doc: dict[str, Any], key: str, choices: tuple[str, ...], pointer: str) -> str:
    value = cast(str, _field(doc, key, str, pointer))
    if value not in choices:
        raise GraphError(f"{pointer}/{key}: {value!r} is not valid; one of {', '.join(choices)}")
    return value


def _node(doc: Any, pointer: str) -> RuntimeNode:
    if not isinstance(doc, dict):
        raise GraphError(f"{pointer}: expected an object")
    children = _field(doc, "children", list, pointer)
    return RuntimeNode(
        name=_field(doc, "name", str, pointer),
        type=cast(NodeType, _choice(doc, "type", NODE_TYPES, pointer)),
        implementation=_field(doc, "implementation", (str, type(None)), pointer),
        image=_field(doc, "image", (str, type(None)), pointer),
        host=_field(doc, "host", str, pointer),
        http_port=_field(doc, "httpPort", int, pointer),
        grpc_port=_field(doc, "grpcPort", int, pointer),
        timeout_ms=_field(doc, "timeoutMs", int, pointer),
        retries=_field(doc, "retries", int, pointer),
        children=tuple(_node(c, f"{pointer}/children/{i}") for i, c in enumerate(children)),
    )


def parse_graph(doc: Any) -> RuntimeGraph:
    """Build a RuntimeGraph from the decoded JSON document; GraphError names the bad field."""
    if not isinstance(doc, dict):
        raise GraphError("/: expected an object")
    graph = RuntimeGraph(
        graph=_field(doc, "graph", str, ""),
        predictor=_field(doc, "predictor", str, ""),
        protocol=cast(Literal["seldon", "v2"], _choice(doc, "protocol", ("seldon", "v2"), "")),
        transport=cast(Literal["rest", "grpc"], _choice(doc, "transport", ("rest", "grpc"), "")),
        max_concurrency=_field(doc, "maxConcurrency", int, ""),
        max_body_bytes=_field(doc, "maxBodyBytes", int, ""),
        root=_node(doc.get("root"), "/root"),
    )
    names = [n.name for n in graph.nodes()]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise GraphError(f"/root: node names {duplicates} appear more than once; names are unique")
    return graph


def load_graph(path: str | Path) -> RuntimeGraph:
    """Read and parse a runtime graph file; errors start with the file name."""
    try:
        return parse_graph(orjson.loads(Path(path).read_bytes()))
    except OSError as exc:
        raise GraphError(f"{path}: cannot read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise GraphError(f"{path}: not JSON: {exc}") from None
    except GraphError as exc:
        raise GraphError(f"{path}: {exc}") from None
