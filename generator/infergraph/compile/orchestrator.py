"""The orchestrator workload of a predictor: it reads the runtime graph from its ConfigMap."""

from __future__ import annotations

from typing import Any

from .. import defaults
from ..model import Graph, Predictor
from ..naming import object_name
from .containers import http_probes, merge_resources
from .labels import workload_labels
from .runtime import config_hash
from .scaling import autoscaling_values, pdb_values, replica_count, rollout_strategy
from .workload import WorkloadSpec, workload

__all__ = ["GRAPH_MOUNT_PATH", "orchestrator_fullname", "orchestrator_workload"]

JSON = Any
GRAPH_MOUNT_PATH = "/etc/infergraph"


def orchestrator_fullname(graph: Graph, predictor: Predictor) -> str:
    """`G-P`, or the `seldon.io/svc-name` the user asked for (suffixed when there are several)."""
    svc = graph.serving.svc_name
    if svc is None:
        return object_name(graph.name, predictor.name)
    return svc if len(graph.predictors) == 1 else object_name(svc, predictor.name)


def orchestrator_workload(graph: Graph, predictor: Predictor, runtime: JSON, pdb: bool) -> JSON:
    labels, selector = workload_labels(graph, predictor, None)
    fullname = orchestrator_fullname(graph, predictor)
    spec = predictor.orchestrator
    env = {
        "INFERGRAPH_HTTP_PORT": str(defaults.HTTP_PORT),
        "INFERGRAPH_GRPC_PORT": str(defaults.GRPC_PORT),
        "INFERGRAPH_METRICS_PORT": str(defaults.METRICS_PORT),
        "INFERGRAPH_WORKERS": str(defaults.WORKERS),
    }
    return workload(
        WorkloadSpec(
            name="orchestrator",
            fullname=fullname,
            labels=labels,
            selector_labels=selector,
            annotations={**graph.annotations, **predictor.annotations},
            pod_annotations={"infergraph.io/config-hash": config_hash(runtime)},
            image=defaults.SERVER_IMAGE,
            args=["orchestrator", "--graph", f"{GRAPH_MOUNT_PATH}/graph.json"],
            env=[{"name": k, "value": v} for k, v in sorted(env.items())]
            + [dict(e) for e in spec.env],
            resources=merge_resources(defaults.ORCHESTRATOR_RESOURCES, spec.resources),
            probes=http_probes("/v2/health/live", "/v2/health/ready"),
            replicas=replica_count(spec.autoscaling, spec.replicas, predictor.replicas),
            strategy=rollout_strategy(0),
            autoscaling=autoscaling_values(spec.autoscaling),
            pdb=pdb_values(pdb),
            volumes=[{"name": "graph", "configMap": {"name": f"{fullname}-graph"}}],
            mounts=[{"name": "graph", "mountPath": GRAPH_MOUNT_PATH, "readOnly": True}],
        )
    )
