"""The orchestrator workload of a predictor: it reads the runtime graph from its ConfigMap."""

from __future__ import annotations

from .. import defaults
from ..model import Graph, Predictor
from ..pointers import JSON
from .containers import env_list, http_probes, merge_resources, server_env, tracing_env
from .labels import workload_labels
from .mesh import in_mesh
from .nodes import orchestrator_fullname
from .runtime import config_hash, predictor_logs
from .scaling import pdb_values, replica_count, rollout_strategy
from .workload import WorkloadSpec, workload

__all__ = ["orchestrator_workload"]


def _namespace_env(graph: Graph, predictor: Predictor) -> list[JSON]:
    """An orchestrator that logs names its namespace in every event (`ce-namespace`): the
    pod's own, from the downward API, which is right whatever namespace the release gets."""
    if not predictor_logs(graph, predictor):
        return []
    source = {"fieldRef": {"fieldPath": "metadata.namespace"}}
    return [{"name": "INFERGRAPH_NAMESPACE", "valueFrom": source}]


def _tracing(graph: Graph, predictor: Predictor, fullname: str) -> dict[str, str]:
    resource = {"infergraph.graph": graph.name, "infergraph.predictor": predictor.name}
    return tracing_env(graph.serving.tracing, fullname, resource)


def orchestrator_workload(graph: Graph, predictor: Predictor, runtime_text: str, pdb: bool) -> JSON:
    """`runtime_text` is the ConfigMap's graph.json, whose hash rolls the pods when it changes."""
    labels, selector = workload_labels(graph, predictor, None)
    fullname = orchestrator_fullname(graph, predictor)
    spec = predictor.orchestrator
    return workload(
        WorkloadSpec(
            name="orchestrator",
            fullname=fullname,
            labels=labels,
            selector_labels=selector,
            annotations={**graph.annotations, **predictor.annotations},
            pod_annotations={"infergraph.io/config-hash": config_hash(runtime_text)},
            image=defaults.SERVER_IMAGE,
            args=["orchestrator", "--graph", f"{defaults.GRAPH_MOUNT_PATH}/graph.json"],
            env=env_list(
                {**server_env(), **_tracing(graph, predictor, fullname)},
                [*_namespace_env(graph, predictor), *spec.env],
            ),
            resources=merge_resources(defaults.ORCHESTRATOR_RESOURCES, spec.resources),
            probes=http_probes("/v2/health/live", "/v2/health/ready"),
            replicas=replica_count(None, spec.replicas, predictor.replicas),
            strategy=rollout_strategy(0),
            autoscaling=None,  # the schema gives svcOrchSpec no autoscaling
            pdb=pdb_values(pdb),
            volumes=[{"name": "graph", "configMap": {"name": f"{fullname}-graph"}}],
            mounts=[{"name": "graph", "mountPath": defaults.GRAPH_MOUNT_PATH, "readOnly": True}],
            in_mesh=in_mesh(graph.serving),
        )
    )
