"""Every default the compiler applies, in one table; a test keeps schema defaults equal."""

from __future__ import annotations

from typing import Final

__all__ = [
    "AUTOSCALING_TARGET_CPU",
    "DEFAULT_PROTOCOL",
    "DEFAULT_TRANSPORT",
    "DETECTOR_REPLICAS",
    "GPU_RESOURCE",
    "GRAPH_MOUNT_PATH",
    "GRPC_PORT",
    "GRPC_ROUTE_HEADER",
    "HTTP_PORT",
    "IMAGE_PULL_POLICY",
    "ISTIO_GATEWAYS",
    "ISTIO_HOSTS",
    "ISTIO_PREFIX_ROOT",
    "ISTIO_RETRY_ON",
    "KEDA_COOLDOWN_PERIOD",
    "KEDA_MAX_REPLICA_COUNT",
    "KEDA_MIN_REPLICA_COUNT",
    "KEDA_POLLING_INTERVAL",
    "LIVENESS_PERIOD_SECONDS",
    "LOGGER_MODE",
    "LOGGER_URL",
    "LOG_BACKOFF_MS",
    "LOG_QUEUE_SIZE",
    "LOG_RETRIES",
    "LOG_SAMPLE_RATE",
    "LOG_SENDERS",
    "LOG_SINK_MOUNT_PATH",
    "LOG_SINK_RESOURCES",
    "LOG_TIMEOUT_MS",
    "MAX_BODY_BYTES",
    "MAX_CONCURRENCY",
    "METRICS_PORT",
    "MODEL_MOUNT_PATH",
    "NETWORK_POLICY_GATEWAY_NAMESPACE",
    "NODE_PROBE_PERIOD_MS",
    "NODE_RESOURCES",
    "NODE_RETRIES",
    "NODE_TIMEOUT_MS",
    "ORCHESTRATOR_RESOURCES",
    "PRE_STOP_SECONDS",
    "PROBE_FAILURE_THRESHOLD",
    "PROBE_TIMEOUT_SECONDS",
    "PVC_MOUNT_PATH",
    "READINESS_PERIOD_SECONDS",
    "REPLICAS",
    "RUN_AS_USER",
    "SCRATCH_MOUNT_PATH",
    "SERVER_IMAGE",
    "SERVICE_MONITOR_INTERVAL",
    "STARTUP_FAILURE_THRESHOLD",
    "STORAGE_INITIALIZER_IMAGE",
    "STORAGE_INITIALIZER_RESOURCES",
    "TERMINATION_GRACE_PERIOD_SECONDS",
    "TRACING_PROPAGATORS",
    "TRACING_SAMPLER",
    "TRACING_SAMPLER_RATIO",
    "WORKERS",
]

#: orchestrator + prepackaged nodes; tag = distribution version
SERVER_IMAGE: Final = "ghcr.io/infergraph/infergraph-server:0.1.0"
#: copies gs://, s3://, https:// models into an emptyDir
STORAGE_INITIALIZER_IMAGE: Final = "kserve/storage-initializer:v0.14.1"
#: per storage-initializer init container (a download, then it exits)
STORAGE_INITIALIZER_RESOURCES: Final = {
    "requests": {"cpu": "100m", "memory": "100Mi"},
    "limits": {"memory": "1Gi"},
}
#: pull policy of every container
IMAGE_PULL_POLICY: Final = "IfNotPresent"
#: spec.protocol when omitted
DEFAULT_PROTOCOL: Final = "seldon"
#: spec.transport when omitted
DEFAULT_TRANSPORT: Final = "rest"
#: REST port of every server (Seldon's microservice port)
HTTP_PORT: Final = 9000
#: gRPC port of every server
GRPC_PORT: Final = 9500
#: Prometheus /metrics port of every server
METRICS_PORT: Final = 6000
#: server worker processes per pod (scale with replicas instead)
WORKERS: Final = 1
#: replicas of a node or orchestrator when neither node nor predictor sets them
REPLICAS: Final = 1
#: autoscaling.targetCPUUtilizationPercentage when omitted
AUTOSCALING_TARGET_CPU: Final = 70
#: keda.pollingInterval when omitted: seconds between trigger checks (KEDA's own default)
KEDA_POLLING_INTERVAL: Final = 30
#: keda.cooldownPeriod when omitted: seconds idle before scaling to zero (KEDA's own default)
KEDA_COOLDOWN_PERIOD: Final = 300
#: keda.minReplicaCount when omitted (KEDA's and Seldon's default: scale to zero)
KEDA_MIN_REPLICA_COUNT: Final = 0
#: keda.maxReplicaCount when omitted (KEDA's own default)
KEDA_MAX_REPLICA_COUNT: Final = 100
#: per node container
NODE_RESOURCES: Final = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"memory": "1Gi"},
}
#: replicas of a detector: its window of recent requests lives in one process
DETECTOR_REPLICAS: Final = 1
#: per orchestrator
ORCHESTRATOR_RESOURCES: Final = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"memory": "512Mi"},
}
#: the extended resource GPU nodes request
GPU_RESOURCE: Final = "nvidia.com/gpu"
#: orchestrator → node call timeout (seldon.io/rest-timeout, grpc-timeout override)
NODE_TIMEOUT_MS: Final = 10_000
#: orchestrator retries on connection errors only
NODE_RETRIES: Final = 2
#: ms between the orchestrator's readiness probes of each node (a node not ready gets no calls)
NODE_PROBE_PERIOD_MS: Final = 500
#: in-flight requests per orchestrator before a fast 503
MAX_CONCURRENCY: Final = 512
#: request body limit (seldon.io/grpc-max-message-size overrides)
MAX_BODY_BYTES: Final = 10 * 1024 * 1024
#: time to drain on shutdown
TERMINATION_GRACE_PERIOD_SECONDS: Final = 30
#: preStop sleep so endpoints leave the Service before SIGTERM
PRE_STOP_SECONDS: Final = 5
#: seconds between liveness checks
LIVENESS_PERIOD_SECONDS: Final = 10
#: seconds between readiness (and startup) checks
READINESS_PERIOD_SECONDS: Final = 5
#: failed checks in a row before a container is restarted or taken out of its Service
PROBE_FAILURE_THRESHOLD: Final = 3
#: seconds one check may take
PROBE_TIMEOUT_SECONDS: Final = 2
#: × the readiness period: 5 minutes for a slow model load
STARTUP_FAILURE_THRESHOLD: Final = 60
#: uid/gid of every container (the server image's non-root user)
RUN_AS_USER: Final = 10001
#: where the storage initializer puts a remote model
MODEL_MOUNT_PATH: Final = "/mnt/models"
#: where a pvc:// claim is mounted read-only
PVC_MOUNT_PATH: Final = "/mnt/pvc"
#: where the orchestrator reads its runtime graph (graph.json from its ConfigMap)
GRAPH_MOUNT_PATH: Final = "/etc/infergraph"
#: writable emptyDir under a read-only root filesystem
SCRATCH_MOUNT_PATH: Final = "/tmp"
#: VirtualService gateways (seldon.io/istio-gateway)
ISTIO_GATEWAYS: Final = ("istio-system/infergraph-gateway",)
#: a graph is served under /<root>/<graph>/ on the gateway (rewritten to /), so graphs share hosts
ISTIO_PREFIX_ROOT: Final = "infergraph"
#: retries.retryOn when retries are asked for (Envoy retry conditions)
ISTIO_RETRY_ON: Final = "connect-failure,refused-stream,unavailable,gateway-error"
#: VirtualService hosts (seldon.io/istio-host)
ISTIO_HOSTS: Final = ("*",)
#: namespace allowed to reach orchestrators (Istio; under Gateway API: the parentRefs' namespaces)
NETWORK_POLICY_GATEWAY_NAMESPACE: Final = "istio-system"
#: gRPC metadata header the GRPCRoute matches, valued the graph's name (Seldon clients send it)
GRPC_ROUTE_HEADER: Final = "seldon"
#: Prometheus scrape interval
SERVICE_MONITOR_INTERVAL: Final = "30s"
#: spec.tracing.samplerRatio when omitted: every new trace is sampled
TRACING_SAMPLER_RATIO: Final = 1.0
#: OTEL_TRACES_SAMPLER: a caller's sampled flag wins, new traces are sampled at the ratio
TRACING_SAMPLER: Final = "parentbased_traceidratio"
#: OTEL_PROPAGATORS: B3 (read single or multi, written multi), W3C trace context and baggage;
#: extraction runs in this order, so W3C (which carries `tracestate`) wins when both came
#: (the orchestrator sends both)
TRACING_PROPAGATORS: Final = "b3multi,tracecontext,baggage"
#: a node `logger` without `mode`, and `spec.logging.mode` when omitted: request and response
LOGGER_MODE: Final = "all"
#: a logger with no url anywhere: Seldon Core v1's default (the namespace's Knative broker)
LOGGER_URL: Final = "http://default-broker"
#: share of requests whose payloads are logged (spec.logging.sampleRate)
LOG_SAMPLE_RATE: Final = 1.0
#: events an orchestrator holds for sending before it drops (and counts) new ones
LOG_QUEUE_SIZE: Final = 1000
#: concurrent event senders per orchestrator process
LOG_SENDERS: Final = 2
#: retries of one event after a failed POST (connection error, timeout or 5xx)
LOG_RETRIES: Final = 3
#: wait before the first retry of an event; doubled before each next one
LOG_BACKOFF_MS: Final = 100
#: time one POST of an event may take
LOG_TIMEOUT_MS: Final = 2000
#: where the log sink writes its JSON Lines files (an emptyDir, or the sink's PVC)
LOG_SINK_MOUNT_PATH: Final = "/var/lib/infergraph/logs"
#: the log sink container
LOG_SINK_RESOURCES: Final = {
    "requests": {"cpu": "50m", "memory": "64Mi"},
    "limits": {"memory": "256Mi"},
}
