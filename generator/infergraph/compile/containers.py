"""Pieces every container and pod shares: ports, probes, security contexts, resources, scratch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .. import defaults
from ..model import Resources, Tracing
from ..pointers import JSON

__all__ = [
    "PORTS",
    "container_ports",
    "container_security_context",
    "env_list",
    "http_probes",
    "merge_resources",
    "pod_security_context",
    "prometheus_annotations",
    "scratch_volume",
    "server_env",
    "service_ports",
    "tcp_probes",
    "tracing_env",
]

PORTS: Mapping[str, int] = {
    "http": defaults.HTTP_PORT,
    "grpc": defaults.GRPC_PORT,
    "metrics": defaults.METRICS_PORT,
}
_APP_PROTOCOL = {"http": "http", "grpc": "grpc", "metrics": "http"}


def container_ports() -> list[JSON]:
    return [{"name": n, "containerPort": p, "protocol": "TCP"} for n, p in PORTS.items()]


def service_ports() -> list[JSON]:
    return [
        {"name": n, "port": p, "targetPort": n, "protocol": "TCP", "appProtocol": _APP_PROTOCOL[n]}
        for n, p in PORTS.items()
    ]


def server_env() -> dict[str, str]:
    """The port and worker settings every infergraph-server process reads (node or orchestrator)."""
    return {
        "INFERGRAPH_HTTP_PORT": str(defaults.HTTP_PORT),
        "INFERGRAPH_GRPC_PORT": str(defaults.GRPC_PORT),
        "INFERGRAPH_METRICS_PORT": str(defaults.METRICS_PORT),
        "INFERGRAPH_WORKERS": str(defaults.WORKERS),
    }


def tracing_env(
    tracing: Tracing | None, service: str, resource: Mapping[str, str]
) -> dict[str, str]:
    """The OpenTelemetry environment of one server process (none without `spec.tracing`):
    `service` is its OTEL_SERVICE_NAME, `resource` its infergraph.* resource attributes."""
    if tracing is None:
        return {}
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": tracing.endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_PROPAGATORS": defaults.TRACING_PROPAGATORS,
        "OTEL_RESOURCE_ATTRIBUTES": ",".join(f"{k}={v}" for k, v in resource.items()),
        "OTEL_SERVICE_NAME": service,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_TRACES_SAMPLER": defaults.TRACING_SAMPLER,
        "OTEL_TRACES_SAMPLER_ARG": repr(tracing.sampler_ratio),
    }


def env_list(settings: Mapping[str, str], extra: Iterable[Mapping[str, JSON]]) -> list[JSON]:
    """Our settings as EnvVars sorted by name (stable output), then the user's own EnvVars."""
    return [{"name": k, "value": v} for k, v in sorted(settings.items())] + [dict(e) for e in extra]


def _probe(handler: JSON, period: int, failures: int) -> JSON:
    return {
        **handler,
        "periodSeconds": period,
        "failureThreshold": failures,
        "timeoutSeconds": defaults.PROBE_TIMEOUT_SECONDS,
    }


def _probes(live: JSON, ready: JSON) -> dict[str, JSON]:
    """Liveness on `live`; readiness and the slow-load startup probe on `ready`."""
    ready_period, failures = defaults.READINESS_PERIOD_SECONDS, defaults.PROBE_FAILURE_THRESHOLD
    return {
        "livenessProbe": _probe(live, defaults.LIVENESS_PERIOD_SECONDS, failures),
        "readinessProbe": _probe(ready, ready_period, failures),
        "startupProbe": _probe(ready, ready_period, defaults.STARTUP_FAILURE_THRESHOLD),
    }


def http_probes(live_path: str, ready_path: str) -> dict[str, JSON]:
    """Liveness on `live_path`; readiness and the slow-load startup probe on `ready_path`."""

    def get(path: str) -> JSON:
        return {"httpGet": {"path": path, "port": "http", "scheme": "HTTP"}}

    return _probes(get(live_path), get(ready_path))


def tcp_probes() -> dict[str, JSON]:
    """For gRPC-only custom containers, which answer no HTTP health path."""
    tcp = {"tcpSocket": {"port": "grpc"}}
    return _probes(tcp, tcp)


def container_security_context() -> JSON:
    """The Pod Security Standards restricted profile, plus a read-only root filesystem."""
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context() -> JSON:
    uid = defaults.RUN_AS_USER
    return {
        "fsGroup": uid,
        "runAsGroup": uid,
        "runAsNonRoot": True,
        "runAsUser": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def scratch_volume() -> tuple[JSON, JSON]:
    """(volume, mount) for the writable scratch directory under a read-only root."""
    return (
        {"name": "scratch", "emptyDir": {}},
        {"name": "scratch", "mountPath": defaults.SCRATCH_MOUNT_PATH},
    )


def merge_resources(base: Mapping[str, Mapping[str, str]], user: Resources | None) -> JSON:
    """Defaults per quantity, the user's quantities on top; a GPU request is mirrored as a limit."""
    requests = dict(base.get("requests", {}))
    limits = dict(base.get("limits", {}))
    if user is not None:
        requests.update(user.requests)
        limits.update(user.limits)
        if user.gpus:
            limits[defaults.GPU_RESOURCE] = str(user.gpus)
    return {"limits": dict(sorted(limits.items())), "requests": dict(sorted(requests.items()))}


def prometheus_annotations() -> dict[str, str]:
    return {
        "prometheus.io/path": "/metrics",
        "prometheus.io/port": str(defaults.METRICS_PORT),
        "prometheus.io/scrape": "true",
    }
