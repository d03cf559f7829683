"""Server settings: command-line flags with `INFERGRAPH_*` environment fallbacks.

A flag wins over the environment, the environment over the default, so the chart can set
everything through env while a developer overrides one value on the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from infergraph_server.http.limits import HttpLimits
from infergraph_server.parameters import ParameterError, parse_value
from infergraph_server.vocabulary import IMPLEMENTATIONS, NODE_TYPES

__all__ = [
    "NODE_BODY_HEADROOM",
    "ComponentSettings",
    "GatewaySettings",
    "OrchestratorSettings",
    "ServerSettings",
    "SettingsError",
    "add_component_flags",
    "add_server_flags",
    "parse_parameters",
    "setting",
]

NODE_BODY_HEADROOM = 64 * 1024
"""Bytes a node server reads beyond `max_body_bytes`: room for what an orchestrator adds to
a request it forwards (`meta.puid`, ~50 bytes), so that a body at the limit passes the
orchestrator and its nodes alike. A body the orchestrator re-encodes larger still (V2 JSON
`1` for FP32 is forwarded as `1.0`) gets the node's 413, which names the node."""

T = TypeVar("T")
_AT_LEAST_ONE = (
    "workers",
    "max_body_bytes",
    "max_request_line_bytes",
    "max_header_bytes",
    "max_header_count",
    "max_head_bytes",
    "max_connections",
)
_AT_LEAST_ZERO = ("header_timeout_seconds", "keepalive_timeout_seconds", "grace_seconds")
#: the smallest value of each numeric setting; the timeouts take 0 as "none"
_LEAST = {**dict.fromkeys(_AT_LEAST_ONE, 1), **dict.fromkeys(_AT_LEAST_ZERO, 0)}


class SettingsError(Exception):
    """A flag or environment value is invalid; the message names it."""


def setting(
    args: argparse.Namespace, dest: str, env: str, default: T, conv: Callable[[str], T]
) -> T:
    """Flag `dest`, else environment variable `env`, else `default`; text goes through `conv`.

    An empty environment value counts as unset, so a chart can write every variable.
    """
    value = getattr(args, dest, None)
    source = "--" + dest.replace("_", "-")
    if value is None:
        raw = os.environ.get(env)
        if raw is None or raw == "":
            return default
        value, source = raw, env
    if not isinstance(value, str):
        return value  # type: ignore[no-any-return]
    try:
        return conv(value)
    except ValueError:
        raise SettingsError(f'{source}: "{value}" is not valid; expected {conv.__name__}') from None


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """Ports, workers and limits shared by every infergraph server process."""

    host: str = "0.0.0.0"
    """Interface to listen on (INFERGRAPH_HOST)."""
    http_port: int = 9000
    """REST port, Seldon and V2 protocols (INFERGRAPH_HTTP_PORT)."""
    grpc_port: int = 9500
    """gRPC port; 0 disables gRPC (INFERGRAPH_GRPC_PORT)."""
    metrics_port: int = 6000
    """Prometheus /metrics port; 0 disables metrics, and requests then record none
    (INFERGRAPH_METRICS_PORT)."""
    workers: int = 1
    """Processes sharing the ports through SO_REUSEPORT (INFERGRAPH_WORKERS)."""
    max_body_bytes: int = 10 * 1024 * 1024
    """Larger request bodies and gRPC messages are answered 413 / RESOURCE_EXHAUSTED; a node
    server reads NODE_BODY_HEADROOM more (INFERGRAPH_MAX_BODY_BYTES)."""
    max_request_line_bytes: int = HttpLimits.max_request_line_bytes
    """A longer request target (URL) is answered 414 (INFERGRAPH_MAX_REQUEST_LINE_BYTES)."""
    max_header_bytes: int = HttpLimits.max_header_bytes
    """A longer header line (name and value) is answered 431 (INFERGRAPH_MAX_HEADER_BYTES)."""
    max_header_count: int = HttpLimits.max_header_count
    """More header lines are answered 431 (INFERGRAPH_MAX_HEADER_COUNT)."""
    max_head_bytes: int = HttpLimits.max_head_bytes
    """A larger request line plus headers is answered 431 (INFERGRAPH_MAX_HEAD_BYTES)."""
    header_timeout_seconds: float = HttpLimits.header_timeout_seconds
    """Time a connection gets to send a whole header block, else 408 and close; 0 = none
    (INFERGRAPH_HEADER_TIMEOUT_SECONDS)."""
    keepalive_timeout_seconds: float = HttpLimits.keepalive_timeout_seconds
    """Idle keep-alive connections and stalled bodies are closed after this; 0 = never
    (INFERGRAPH_KEEPALIVE_TIMEOUT_SECONDS)."""
    max_connections: int = HttpLimits.max_connections
    """Open HTTP connections per process; more are answered 503 and closed
    (INFERGRAPH_MAX_CONNECTIONS)."""
    grace_seconds: float = 25.0
    """Time in-flight requests get after SIGTERM (INFERGRAPH_GRACE_SECONDS)."""
    log_level: str = "INFO"
    """Python logging level (INFERGRAPH_LOG_LEVEL)."""

    @property
    def accepted_body_bytes(self) -> int:
        """The largest request body (or gRPC message) this process reads."""
        return self.max_body_bytes

    @classmethod
    def server_fields(cls, args: argparse.Namespace) -> dict[str, Any]:
        """Resolve the shared fields from flags, then `INFERGRAPH_*`, then the defaults."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(ServerSettings):  # env name: the field's, upper case
            default = field.default
            conv: Callable[[str], Any] = type(default)
            out[field.name] = setting(
                args, field.name, f"INFERGRAPH_{field.name.upper()}", default, conv
            )
        for name, least in _LEAST.items():
            if out[name] < least:
                flag = "--" + name.replace("_", "-")
                raise SettingsError(f'{flag}: "{out[name]}" must be at least {least}')
        return out

    def http_limits(self) -> HttpLimits:
        """The HTTP server's limits and timeouts from these settings; the body limit is the
        one this process accepts (`accepted_body_bytes`)."""
        limits = {f.name: getattr(self, f.name) for f in dataclasses.fields(HttpLimits)}
        return HttpLimits(**{**limits, "max_body_bytes": self.accepted_body_bytes})

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServerSettings:
        """Build from parsed flags (see `add_server_flags`) and the environment."""
        return cls(**cls.server_fields(args))


@dataclasses.dataclass(frozen=True)
class ComponentSettings(ServerSettings):
    """Settings of a graph-node server (`infergraph-server component`)."""

    name: str = "model"
    """Graph node name, also the V2 model name (INFERGRAPH_NAME)."""
    type: str = "MODEL"
    """A node type of the vocabulary (implementations.json) (INFERGRAPH_TYPE)."""
    implementation: str | None = None
    """Prepackaged server name; this or `class_path` (INFERGRAPH_IMPLEMENTATION)."""
    class_path: str | None = None
    """"module:Class" of a user class; this or `implementation` (INFERGRAPH_CLASS)."""
    model_uri: str | None = None
    """Local model path or file:// URI (INFERGRAPH_MODEL_URI)."""
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Constructor keyword arguments, from a JSON list of {name, type, value}, each value read
    by its type (docs/contract.md "Parameters") (INFERGRAPH_PARAMETERS)."""
    max_batch_size: int = 0
    """Rows one batched model call takes at most; 0 turns batching off
    (INFERGRAPH_MAX_BATCH_SIZE)."""
    max_batch_latency_ms: float = 1.0
    """How long a queued request waits for more rows, at most, in milliseconds
    (INFERGRAPH_MAX_BATCH_LATENCY_MS)."""
    gpus: int = 0
    """GPUs the node asks for (the compiler writes its `nvidia.com/gpu` limit); a prepackaged
    server that can run on one, ONNX_SERVER, then does (INFERGRAPH_GPUS)."""

    @property
    def accepted_body_bytes(self) -> int:
        """`max_body_bytes` plus the headroom an orchestrator's forwarded requests need."""
        return self.max_body_bytes + NODE_BODY_HEADROOM

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ComponentSettings:
        """Build from parsed flags (see `add_component_flags`) and the environment."""
        fields = cls.server_fields(args)
        node_type = setting(args, "type", "INFERGRAPH_TYPE", cls.type, str).upper()
        if node_type not in NODE_TYPES:
            raise SettingsError(
                f'--type: "{node_type}" is unknown; use one of {", ".join(NODE_TYPES)}'
            )
        implementation = setting(args, "implementation", "INFERGRAPH_IMPLEMENTATION", "", str)
        class_path = setting(args, "class_path", "INFERGRAPH_CLASS", "", str)
        if bool(implementation) == bool(class_path):
            raise SettingsError("--implementation / --class: give exactly one of them")
        raw_params = setting(args, "parameters", "INFERGRAPH_PARAMETERS", "[]", str)
        parameters = parse_parameters(raw_params)
        declared = IMPLEMENTATIONS.get(implementation.upper())
        unknown = [name for name in parameters if declared and name not in declared.parameters]
        if declared and unknown:
            raise SettingsError(
                f'--parameters: "{unknown[0]}" is not a parameter of {declared.name};'
                f" use one of: {', '.join(declared.parameters) or 'none'}"
            )
        max_batch_size = setting(args, "max_batch_size", "INFERGRAPH_MAX_BATCH_SIZE", 0, int)
        if max_batch_size < 0:
            raise SettingsError(
                f'--max-batch-size: "{max_batch_size}" must be at least 0 (0: no batching)'
            )
        latency = setting(
            args, "max_batch_latency_ms", "INFERGRAPH_MAX_BATCH_LATENCY_MS", 1.0, float
        )
        if not 0 < latency <= 1000:
            raise SettingsError(
                f'--max-batch-latency-ms: "{latency}" must be above 0 and at most 1000'
            )
        gpus = setting(args, "gpus", "INFERGRAPH_GPUS", 0, int)
        if gpus < 0:
            raise SettingsError(f'--gpus: "{gpus}" must be at least 0')
        return cls(
            **fields,
            gpus=gpus,
            max_batch_size=max_batch_size,
            max_batch_latency_ms=latency,
            name=setting(args, "name", "INFERGRAPH_NAME", cls.name, str),
            type=node_type,
            implementation=implementation.upper() or None,
            class_path=class_path or None,
            model_uri=setting(args, "model_uri", "INFERGRAPH_MODEL_URI", "", str) or None,
            parameters=parameters,
        )


@dataclasses.dataclass(frozen=True)
class OrchestratorSettings(ServerSettings):
    """Settings of `infergraph-server orchestrator`."""

    graph: str = "/etc/infergraph/graph.json"
    """The runtime graph file the compiler wrote (INFERGRAPH_GRAPH, --graph)."""
    namespace: str = ""
    """The namespace payload-logging events name (`ce-namespace`); the chart sets it from the
    pod's own (INFERGRAPH_NAMESPACE)."""


@dataclasses.dataclass(frozen=True)
class GatewaySettings(ServerSettings):
    """Settings of `infergraph-server gateway`."""

    config: str = ""
    """The gateway config JSON file (INFERGRAPH_GATEWAY_CONFIG, --config); required."""
    seed: int | None = None
    """Seeds the traffic split, for reproducible runs (INFERGRAPH_SEED, --seed)."""
    prefix: str = ""
    """Path prefix rewritten to `/`, the graph's `routing.prefix` (INFERGRAPH_GATEWAY_PREFIX)."""


def parse_parameters(raw: str) -> dict[str, Any]:
    """Turn a JSON list of Seldon `{name, type, value}` parameters into typed kwargs.

    Every value is read by its type's rule; one that does not parse stops start-up with a
    SettingsError naming the parameter.
    """
    try:
        items = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SettingsError(
            f"--parameters: not valid JSON ({exc}); expected [{{name, type, value}}]"
        ) from None
    if not isinstance(items, list):
        raise SettingsError("--parameters: expected a JSON list of {name, type, value}")
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not {"name", "type", "value"} <= item.keys():
            raise SettingsError(f"--parameters: item {i} needs name, type and value")
        name = str(item["name"])
        if name in out:
            raise SettingsError(f"--parameters: {name}: given twice; expected unique names")
        try:
            out[name] = parse_value(str(item["type"]), item["value"])
        except ParameterError as exc:
            raise SettingsError(f"--parameters: {name}: {exc}") from None
    return out


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    """Add the shared port/worker/limit flags (defaults resolved later, env included)."""
    parser.add_argument("--host", help="interface to listen on [INFERGRAPH_HOST, 0.0.0.0]")
    parser.add_argument("--http-port", type=int, help="REST port [INFERGRAPH_HTTP_PORT, 9000]")
    parser.add_argument(
        "--grpc-port", type=int, help="gRPC port, 0 = off [INFERGRAPH_GRPC_PORT, 9500]"
    )
    parser.add_argument(
        "--metrics-port", type=int, help="metrics port, 0 = off [INFERGRAPH_METRICS_PORT, 6000]"
    )
    parser.add_argument("--workers", type=int, help="worker processes [INFERGRAPH_WORKERS, 1]")
    parser.add_argument(
        "--max-body-bytes", type=int, help="request body limit [INFERGRAPH_MAX_BODY_BYTES]"
    )
    parser.add_argument(
        "--grace-seconds", type=float, help="drain time on SIGTERM [INFERGRAPH_GRACE_SECONDS, 25]"
    )
    limits = HttpLimits()
    for flag, kind, text in (
        ("--max-request-line-bytes", int, "request target limit, else 414"),
        ("--max-header-bytes", int, "one header line limit, else 431"),
        ("--max-header-count", int, "header lines limit, else 431"),
        ("--max-head-bytes", int, "request line + headers limit, else 431"),
        ("--header-timeout-seconds", float, "time to send a header block, else 408; 0 = none"),
        ("--keepalive-timeout-seconds", float, "idle keep-alive time; 0 = none"),
        ("--max-connections", int, "open HTTP connections per process, else 503"),
    ):
        dest = flag[2:].replace("-", "_")
        env = f"INFERGRAPH_{dest.upper()}"
        parser.add_argument(flag, type=kind, help=f"{text} [{env}, {getattr(limits, dest):g}]")
    parser.add_argument("--log-level", help="logging level [INFERGRAPH_LOG_LEVEL, INFO]")


def add_component_flags(parser: argparse.ArgumentParser) -> None:
    """Add the graph-node flags of `infergraph-server component`."""
    parser.add_argument("--name", help="graph node name, the V2 model name [INFERGRAPH_NAME]")
    parser.add_argument("--type", help=f"{' | '.join(NODE_TYPES)} [INFERGRAPH_TYPE, MODEL]")
    parser.add_argument("--implementation", help="prepackaged server [INFERGRAPH_IMPLEMENTATION]")
    parser.add_argument(
        "--class", dest="class_path", help="module:Class of a user class [INFERGRAPH_CLASS]"
    )
    parser.add_argument("--model-uri", help="model path or file:// URI [INFERGRAPH_MODEL_URI]")
    parser.add_argument(
        "--parameters", help="JSON list of {name,type,value} [INFERGRAPH_PARAMETERS]"
    )
    parser.add_argument("--gpus", type=int, help="GPUs the node asks for [INFERGRAPH_GPUS, 0]")
    parser.add_argument(
        "--max-batch-size",
        type=int,
        help="rows per batched model call, 0 = no batching [INFERGRAPH_MAX_BATCH_SIZE, 0]",
    )
    parser.add_argument(
        "--max-batch-latency-ms",
        type=float,
        help="longest wait of a queued request for more rows [INFERGRAPH_MAX_BATCH_LATENCY_MS, 1]",
    )
    add_server_flags(parser)
