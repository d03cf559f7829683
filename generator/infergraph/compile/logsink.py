"""The graph's log sink: `infergraph-server logsink` behind a Service, writing to a volume.

Rendered when `spec.logging.sink` asks for it; the logger url `sink` resolves to its Service
(log_targets.py). One replica, recreated rather than rolled, since a ReadWriteOnce claim is
mounted by one pod at a time; no gRPC port (the sink takes CloudEvents over HTTP only).
"""

from __future__ import annotations

from .. import defaults
from ..model import Graph, LogSink
from ..pointers import JSON
from .containers import env_list, http_probes, merge_resources, server_env
from .labels import graph_labels
from .log_targets import sink_fullname
from .mesh import in_mesh
from .workload import WorkloadSpec, workload

__all__ = ["logsink_values"]

_VOLUME = "logs"


def _claim(graph: Graph, sink: LogSink, labels: dict[str, str]) -> JSON:
    """The PersistentVolumeClaim values, or None for an emptyDir."""
    if sink.storage_size is None:
        return None
    return {
        "fullname": sink_fullname(graph),
        "labels": labels,
        "annotations": dict(graph.annotations),
        "accessModes": ["ReadWriteOnce"],
        "storage": sink.storage_size,
        "storageClassName": sink.storage_class,
    }


def logsink_values(graph: Graph) -> JSON:
    """`logSink` of the values: `{workload, persistentVolumeClaim}`, or None without a sink."""
    sink = graph.logging.sink if graph.logging is not None else None
    if sink is None:
        return None
    fullname = sink_fullname(graph)
    selector = {"app.kubernetes.io/instance": graph.name, "app.kubernetes.io/component": "logsink"}
    labels = {**graph_labels(graph), **selector}
    claim = _claim(graph, sink, labels)
    source = (
        {"emptyDir": {}} if claim is None else {"persistentVolumeClaim": {"claimName": fullname}}
    )
    record = workload(
        WorkloadSpec(
            name="logsink",
            fullname=fullname,
            labels=labels,
            selector_labels=selector,
            annotations=dict(graph.annotations),
            image=defaults.SERVER_IMAGE,
            args=["logsink", "--directory", defaults.LOG_SINK_MOUNT_PATH],
            env=env_list(server_env(), []),
            resources=merge_resources(defaults.LOG_SINK_RESOURCES, sink.resources),
            probes=http_probes("/v2/health/live", "/v2/health/ready"),
            replicas=1,
            strategy={"type": "Recreate"},
            autoscaling=None,
            pdb=None,
            volumes=[{"name": _VOLUME, **source}],
            mounts=[{"name": _VOLUME, "mountPath": defaults.LOG_SINK_MOUNT_PATH}],
            in_mesh=in_mesh(graph.serving),
        )
    )
    container = record["container"]
    container["ports"] = [p for p in container["ports"] if p["name"] != "grpc"]
    record["service"]["ports"] = [p for p in record["service"]["ports"] if p["name"] != "grpc"]
    return {"workload": record, "persistentVolumeClaim": claim}
