"""The typed graph model: what the loader builds after validation and the compiler reads.

Every object keeps the JSON Pointer of its source so that later errors can cite it.
Raw Kubernetes fragments that pass through unchanged (env, tolerations) stay plain JSON values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .defaults import GPU_RESOURCE
from .pointers import JSON
from .vocabulary import NodeType

__all__ = [
    "BATCHING_ENV",
    "Autoscaling",
    "Batching",
    "Detector",
    "Graph",
    "KedaScaling",
    "LogSink",
    "Logger",
    "Logging",
    "Node",
    "NodeType",
    "Orchestrator",
    "Parameter",
    "ParentRef",
    "Predictor",
    "Resources",
    "Serving",
    "Tracing",
]


@dataclass(frozen=True)
class Parameter:
    """A node parameter; `value` is already parsed into its declared type."""

    name: str
    type: str  # a parameter type of the vocabulary (schemas/implementations.json)
    value: JSON
    pointer: str


@dataclass(frozen=True)
class Resources:
    """Kubernetes quantities as written by the user (strings), GPUs counted separately."""

    requests: Mapping[str, str] = field(default_factory=dict)
    limits: Mapping[str, str] = field(default_factory=dict)

    @property
    def gpus(self) -> int:
        """The `nvidia.com/gpu` count (validated to be a positive integer when set)."""
        return int(self.limits.get(GPU_RESOURCE, self.requests.get(GPU_RESOURCE, "0")))


@dataclass(frozen=True)
class Autoscaling:
    """A HorizontalPodAutoscaler; a CPU target arrives as one autoscaling/v2 Resource metric."""

    min_replicas: int
    max_replicas: int
    metrics: tuple[Mapping[str, JSON], ...]  # autoscaling/v2 MetricSpecs, passed through
    pointer: str
    behavior: Mapping[str, JSON] | None = None  # autoscaling/v2 behavior, passed through


@dataclass(frozen=True)
class KedaScaling:
    """A KEDA ScaledObject instead of an HPA; `triggers` are KEDA fragments as written, except
    that a trigger's `secretTargetRef` (ours) becomes a TriggerAuthentication when compiled."""

    min_replica_count: int  # 0: scaled to zero while no trigger is active
    max_replica_count: int
    polling_interval: int
    cooldown_period: int
    triggers: tuple[Mapping[str, JSON], ...]
    pointer: str


@dataclass(frozen=True)
class Batching:
    """A node's adaptive batching: at most `max_batch_size` rows per model call."""

    max_batch_size: int
    max_latency_ms: float
    pointer: str  # the node's `batching`, or the first of its batching variables

    def env(self) -> dict[str, str]:
        """The server's environment variables that carry it."""
        values = {
            "maxBatchSize": str(self.max_batch_size),
            "maxLatencyMs": f"{self.max_latency_ms:g}",
        }
        return {name: values[field] for name, field in BATCHING_ENV.items()}


#: the server's environment variable → the `batching` field it carries
BATCHING_ENV: Mapping[str, str] = {
    "INFERGRAPH_MAX_BATCH_SIZE": "maxBatchSize",
    "INFERGRAPH_MAX_BATCH_LATENCY_MS": "maxLatencyMs",
}


@dataclass(frozen=True)
class Logger:
    """A node's `logger` (Seldon Core v1): which of its payloads go out as CloudEvents, where."""

    mode: Literal["all", "request", "response"]
    url: str | None  # an http(s) URL or a symbolic target (`sink`); None: the graph's
    pointer: str


@dataclass(frozen=True)
class LogSink:
    """`spec.logging.sink`: the graph's own CloudEvents receiver writing JSON Lines."""

    pointer: str
    storage_size: str | None = None  # a PersistentVolumeClaim of this size; None: an emptyDir
    storage_class: str | None = None
    resources: Resources | None = None


@dataclass(frozen=True)
class Logging:
    """`spec.logging`: the logger of nodes without their own, the queue, and the sink."""

    pointer: str
    url: str | None  # None: the sink when there is one, else Seldon's default broker
    mode: Literal["all", "request", "response", "none"]  # none: only nodes' own loggers log
    sample_rate: float
    queue_size: int
    sink: LogSink | None


@dataclass(frozen=True)
class Node:
    """One graph node; `container` is the matched componentSpec container, if any."""

    name: str
    type: NodeType
    pointer: str
    implementation: str | None = None  # a declared implementation; None: a custom container
    model_uri: str | None = None
    env_secret_ref: str | None = None
    parameters: tuple[Parameter, ...] = ()
    children: tuple[Node, ...] = ()
    # A custom node's image (ours: node.image; Seldon's: the container's image), or the image
    # override of an implementation that runs its own container (TRITON_SERVER's kind).
    image: str | None = None
    image_pull_policy: str | None = None
    env: tuple[Mapping[str, JSON], ...] = ()  # extra container env (Kubernetes EnvVar objects)
    resources: Resources | None = None
    replicas: int | None = None
    autoscaling: Autoscaling | KedaScaling | None = None  # HPA or KEDA; never both
    endpoint_type: Literal["REST", "GRPC"] | None = None
    fallback: bool = False  # routers: a child that is not ready is skipped for a ready one
    batching: Batching | None = None  # None: one model call per request
    logger: Logger | None = None  # None: the graph's `logging` decides
    # Pod-level settings carried from the componentSpec that holds this node's container.
    termination_grace_period_seconds: int | None = None
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, JSON], ...] = ()
    runtime_class_name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # componentSpec metadata.labels
    annotations: Mapping[str, str] = field(
        default_factory=dict
    )  # componentSpec metadata.annotations

    @property
    def gpus(self) -> int:
        """GPUs per pod of this node: 0 unless its resources ask for some."""
        return self.resources.gpus if self.resources is not None else 0

    def walk(self) -> tuple[Node, ...]:
        """This node and all below it, depth first, parents before children."""
        out: list[Node] = [self]
        for child in self.children:
            out.extend(child.walk())
        return tuple(out)


@dataclass(frozen=True)
class Detector:
    """A detector of `spec.detectors`: a server fed the payload-log stream, not a graph node."""

    name: str
    implementation: str  # a declared detector (schemas/implementations.json `detectors`)
    model_uri: str  # the reference data
    pointer: str
    env_secret_ref: str | None = None
    parameters: tuple[Parameter, ...] = ()
    events_url: str | None = None
    resources: Resources | None = None


@dataclass(frozen=True)
class Orchestrator:
    """svcOrchSpec: the orchestrator's extra env, resources and replicas."""

    env: tuple[Mapping[str, JSON], ...] = ()
    resources: Resources | None = None
    replicas: int | None = None


@dataclass(frozen=True)
class Predictor:
    name: str
    graph: Node
    pointer: str
    replicas: int | None = None
    traffic: int | None = None  # None when omitted by the user
    shadow: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    orchestrator: Orchestrator = field(default_factory=Orchestrator)


@dataclass(frozen=True)
class ParentRef:
    """A Gateway API Gateway (or one of its listeners) the graph's routes attach to."""

    name: str
    namespace: str
    section_name: str | None = None


@dataclass(frozen=True)
class Tracing:
    """Graph-wide OpenTelemetry tracing (`spec.tracing`): where spans go, how many are kept."""

    endpoint: str  # OTLP/HTTP base URL of the collector
    sampler_ratio: float
    pointer: str = "/spec/tracing"


@dataclass(frozen=True)
class Serving:
    """Graph-wide serving options (native `spec` fields and honoured `seldon.io/*` annotations)."""

    istio_enabled: bool = True
    istio_gateways: tuple[str, ...] = ()
    istio_hosts: tuple[str, ...] = ()
    istio_retries: int | None = None
    gateway_api_enabled: bool = False
    gateway_parent_refs: tuple[ParentRef, ...] = ()
    gateway_hostnames: tuple[str, ...] = ()
    peer_authentication: bool = False
    authorization_principals: tuple[str, ...] | None = None  # None: no AuthorizationPolicy
    istio_cni: bool = False  # the platform runs Istio's CNI plugin (sidecars pass restricted)
    network_policy: bool = False
    service_monitor: bool = False
    pod_disruption_budget: bool = False
    rest_timeout_ms: int | None = None
    grpc_timeout_ms: int | None = None
    grpc_max_message_size: int | None = None
    svc_name: str | None = None
    tracing: Tracing | None = None  # None: no tracing


@dataclass(frozen=True)
class Graph:
    """A validated graph definition (native InferenceGraph or SeldonDeployment)."""

    name: str
    source: str  # file name for messages
    predictors: tuple[Predictor, ...]
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    protocol: Literal["seldon", "v2"] = "seldon"
    transport: Literal["rest", "grpc"] = "rest"
    serving: Serving = field(default_factory=Serving)
    # implementation -> the image its nodes run, for implementations with their own container
    images: Mapping[str, str] = field(default_factory=dict)
    logging: Logging | None = None  # spec.logging; None: only nodes' own loggers log
    kind: Literal["InferenceGraph", "SeldonDeployment"] = "InferenceGraph"
    detectors: tuple[Detector, ...] = ()

    def compile(self) -> dict[str, JSON]:
        """The explicit values document (see `infergraph.compile.compile_values`)."""
        from .compile import compile_values

        values: dict[str, JSON] = compile_values(self)
        return values
