"""The runtime graph (docs/contract.md "Runtime graph"), parsed once into frozen dataclasses.

The compiler writes every field, so parsing checks presence and types and nothing else:
the orchestrator decides nothing the compiler has not already written down.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import orjson

from infergraph_server.node_types import NODE_KINDS, NodeKind
from infergraph_server.urls import http_url_problem

__all__ = [
    "GraphError",
    "LogSettings",
    "NodeLogger",
    "RuntimeGraph",
    "RuntimeNode",
    "load_graph",
    "parse_graph",
]

Protocol = Literal["seldon", "v2"]


class GraphError(ValueError):
    """A runtime graph that cannot be run; the message names the JSON Pointer at fault."""


@dataclass(frozen=True)
class NodeLogger:
    """A logged node: which of its payloads go out as CloudEvents, and where to."""

    url: str
    request: bool  # mode all or request
    response: bool  # mode all or response


@dataclass(frozen=True)
class LogSettings:
    """The runtime graph's `logging`: the orchestrator's event queue and senders."""

    sample_rate: float
    queue_size: int
    senders: int
    retries: int
    backoff_ms: int
    timeout_ms: int
    source: str  # ce-source of every event: this orchestrator


@dataclass(frozen=True, eq=False)
class RuntimeNode:
    """One node server the orchestrator calls; `children` keep the graph's order."""

    name: str
    kind: NodeKind  # the object of its `type` (node_types.NODE_KINDS)
    implementation: str | None
    image: str | None
    host: str
    http_port: int
    grpc_port: int
    protocol: Protocol  # how the node's own calls are made (V2 infer or the Seldon paths)
    readiness_path: str | None  # GET it on the HTTP port; None: connect to the gRPC port
    fallback: bool  # routers: send to another ready child when the chosen one is not
    timeout_ms: int
    retries: int
    logger: NodeLogger | None  # None: this node's payloads are not logged
    children: tuple[RuntimeNode, ...]

    @property
    def type(self) -> str:
        """The node type's name (MODEL, ROUTER, ...)."""
        return self.kind.name

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
    predictor_version: str  # Seldon's `version` annotation of the predictor ("" if none)
    protocol: Protocol
    transport: Literal["rest", "grpc"]
    max_concurrency: int
    max_body_bytes: int
    probe_period_ms: int  # how often every node's readiness is probed
    probe_timeout_ms: int  # a probe not answered within this fails
    probe_failure_threshold: int  # failed probes in a row that take a ready node out
    logging: LogSettings | None  # None: no node is logged
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


_MODES = ("all", "request", "response")


def _logger(doc: dict[str, Any], pointer: str) -> NodeLogger | None:
    raw = _field(doc, "logger", (dict, type(None)), pointer)
    if raw is None:
        return None
    at = f"{pointer}/logger"
    mode = _choice(raw, "mode", _MODES, at)
    url = cast(str, _field(raw, "url", str, at))
    if http_url_problem(url):
        raise GraphError(f"{at}/url: {url!r} is not valid; expected an http(s) URL")
    return NodeLogger(url, mode != "response", mode != "request")


def _log_settings(doc: dict[str, Any]) -> LogSettings | None:
    raw = _field(doc, "logging", (dict, type(None)), "")
    if raw is None:
        return None
    rate = _field(raw, "sampleRate", (int, float), "/logging")
    if not 0 < rate <= 1:
        raise GraphError(f"/logging/sampleRate: {rate!r} is not valid; expected above 0, to 1")
    counts = {k: _field(raw, k, int, "/logging") for k in ("queueSize", "senders", "backoffMs")}
    for key, value in counts.items():
        if value < 1:
            raise GraphError(f"/logging/{key}: {value!r} is not valid; expected at least 1")
    return LogSettings(
        sample_rate=float(rate),
        queue_size=counts["queueSize"],
        senders=counts["senders"],
        retries=_field(raw, "retries", int, "/logging"),
        backoff_ms=counts["backoffMs"],
        timeout_ms=_field(raw, "timeoutMs", int, "/logging"),
        source=_field(raw, "source", str, "/logging"),
    )


def _node(doc: Any, pointer: str) -> RuntimeNode:
    if not isinstance(doc, dict):
        raise GraphError(f"{pointer}: expected an object")
    children = _field(doc, "children", list, pointer)
    kind = NODE_KINDS[_choice(doc, "type", tuple(NODE_KINDS), pointer)]
    protocol = cast(Protocol, _choice(doc, "protocol", ("seldon", "v2"), pointer))
    if protocol == "v2" and kind.v2_method is None:
        raise GraphError(f'{pointer}/protocol: "v2" is not valid; a {kind.name} has no V2 call')
    fallback = _field(doc, "fallback", bool, pointer)
    if fallback and not kind.routes:
        raise GraphError(f"{pointer}/fallback: true is not valid; only routers choose a child")
    return RuntimeNode(
        name=_field(doc, "name", str, pointer),
        kind=kind,
        implementation=_field(doc, "implementation", (str, type(None)), pointer),
        image=_field(doc, "image", (str, type(None)), pointer),
        host=_field(doc, "host", str, pointer),
        http_port=_field(doc, "httpPort", int, pointer),
        grpc_port=_field(doc, "grpcPort", int, pointer),
        protocol=protocol,
        readiness_path=_field(doc, "readinessPath", (str, type(None)), pointer),
        fallback=fallback,
        timeout_ms=_field(doc, "timeoutMs", int, pointer),
        retries=_field(doc, "retries", int, pointer),
        logger=_logger(doc, pointer),
        children=tuple(_node(c, f"{pointer}/children/{i}") for i, c in enumerate(children)),
    )


def parse_graph(doc: Any) -> RuntimeGraph:
    """Build a RuntimeGraph from the decoded JSON document; GraphError names the bad field."""
    if not isinstance(doc, dict):
        raise GraphError("/: expected an object")
    graph = RuntimeGraph(
        graph=_field(doc, "graph", str, ""),
        predictor=_field(doc, "predictor", str, ""),
        predictor_version=_field(doc, "predictorVersion", str, ""),
        protocol=cast(Protocol, _choice(doc, "protocol", ("seldon", "v2"), "")),
        transport=cast(Literal["rest", "grpc"], _choice(doc, "transport", ("rest", "grpc"), "")),
        max_concurrency=_field(doc, "maxConcurrency", int, ""),
        max_body_bytes=_field(doc, "maxBodyBytes", int, ""),
        probe_period_ms=_field(doc, "probePeriodMs", int, ""),
        probe_timeout_ms=_field(doc, "probeTimeoutMs", int, ""),
        probe_failure_threshold=_field(doc, "probeFailureThreshold", int, ""),
        logging=_log_settings(doc),
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
