"""Node workloads: one Deployment + Service per graph node, container named after the node."""

from __future__ import annotations

import json

from .. import defaults
from ..model import Graph, Node, Parameter, Predictor
from ..naming import object_name
from ..pointers import JSON
from .containers import env_list, http_probes, merge_resources, server_env, tcp_probes
from .labels import workload_labels
from .scaling import autoscaling_values, pdb_values, replica_count, rollout_strategy
from .storage import model_storage
from .workload import WorkloadSpec, workload

__all__ = [
    "health_paths",
    "node_fullname",
    "node_image",
    "node_workload",
    "orchestrator_fullname",
    "parameters_json",
]

GPU_TOLERATION = {"key": defaults.GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}


def orchestrator_fullname(graph: Graph, predictor: Predictor) -> str:
    """`G-P`, or the `seldon.io/svc-name` the user asked for (suffixed when there are several)."""
    svc = graph.serving.svc_name
    if svc is None:
        return object_name(graph.name, predictor.name)
    return svc if len(graph.predictors) == 1 else object_name(svc, predictor.name)


def node_fullname(graph: Graph, predictor: Predictor, node: Node) -> str:
    return object_name(graph.name, predictor.name, node.name)


def _custom_image(node: Node) -> str | None:
    """A custom node's own image; None when the node runs in our server image (prepackaged)."""
    return node.image if node.implementation is None else None


def node_image(node: Node) -> str:
    """The image of a node's container (and of its runtime-graph entry)."""
    custom = _custom_image(node)
    return defaults.SERVER_IMAGE if custom is None else custom


def _parameter_text(p: Parameter) -> str:
    """The Seldon wire form: every value a string, parsed again by the server per its type."""
    if p.type == "BOOL":
        return "true" if p.value else "false"
    if p.type == "JSON":
        return json.dumps(p.value, sort_keys=True, separators=(",", ":"))
    return str(p.value)


def parameters_json(node: Node) -> str:
    """The node's parameters as the Seldon wrapper reads them from its environment."""
    items = [{"name": p.name, "type": p.type, "value": _parameter_text(p)} for p in node.parameters]
    return json.dumps(items, separators=(",", ":"))


def _env(graph: Graph, predictor: Predictor, node: Node, model_path: str | None) -> list[JSON]:
    parameters = parameters_json(node)
    settings = {
        **server_env(),
        "INFERGRAPH_NAME": node.name,
        "INFERGRAPH_TYPE": node.type,
        "INFERGRAPH_PARAMETERS": parameters,
    }
    if node.implementation is not None:
        settings["INFERGRAPH_IMPLEMENTATION"] = node.implementation
    if model_path is not None:
        settings["INFERGRAPH_MODEL_URI"] = model_path
    if node.batching is not None:
        settings["INFERGRAPH_MAX_BATCH_SIZE"] = str(node.batching.max_batch_size)
        settings["INFERGRAPH_MAX_BATCH_LATENCY_MS"] = f"{node.batching.max_latency_ms:g}"
    if node.implementation is None:
        # Seldon's wrapper reads these, so existing Seldon images run unchanged.
        settings |= {
            "PREDICTIVE_UNIT_ID": node.name,
            "PREDICTIVE_UNIT_PARAMETERS": parameters,
            "PREDICTIVE_UNIT_HTTP_SERVICE_PORT": str(defaults.HTTP_PORT),
            "PREDICTIVE_UNIT_GRPC_SERVICE_PORT": str(defaults.GRPC_PORT),
            "PREDICTIVE_UNIT_METRICS_SERVICE_PORT": str(defaults.METRICS_PORT),
            "PREDICTOR_ID": predictor.name,
            "SELDON_DEPLOYMENT_ID": graph.name,
        }
    return env_list(settings, node.env)


def health_paths(graph: Graph, node: Node) -> tuple[str, str] | None:
    """A node server's (liveness, readiness) HTTP paths; None for a gRPC-only custom
    container, checked by a connection to its gRPC port. The Kubernetes probes and the
    orchestrator's readiness probe (the runtime graph's `readinessPath`) both use these."""
    if node.implementation is not None or graph.protocol == "v2":
        return "/v2/health/live", "/v2/health/ready"
    if node.endpoint_type == "GRPC":
        return None
    return "/health/ping", "/health/status"


def _probes(graph: Graph, node: Node) -> dict[str, JSON]:
    paths = health_paths(graph, node)
    return tcp_probes() if paths is None else http_probes(*paths)


def node_workload(graph: Graph, predictor: Predictor, node: Node, pdb: bool) -> JSON:
    labels, selector = workload_labels(graph, predictor, node)
    storage = model_storage(node)
    tolerations = [dict(t) for t in node.tolerations]
    if node.gpus and GPU_TOLERATION not in tolerations:
        tolerations.append(GPU_TOLERATION)
    return workload(
        WorkloadSpec(
            name=node.name,
            fullname=node_fullname(graph, predictor, node),
            labels=labels,
            selector_labels=selector,
            annotations={**graph.annotations, **predictor.annotations, **node.annotations},
            image=node_image(node),
            image_pull_policy=node.image_pull_policy,
            args=["component"] if _custom_image(node) is None else None,
            env=_env(graph, predictor, node, storage.path),
            resources=merge_resources(defaults.NODE_RESOURCES, node.resources),
            probes=_probes(graph, node),
            replicas=replica_count(node.autoscaling, node.replicas, predictor.replicas),
            strategy=rollout_strategy(node.gpus),
            autoscaling=autoscaling_values(node.autoscaling),
            pdb=pdb_values(pdb),
            volumes=storage.volumes,
            mounts=storage.mounts,
            init_containers=storage.init_containers,
            termination_grace_period_seconds=node.termination_grace_period_seconds,
            node_selector=node.node_selector,
            tolerations=tolerations,
            runtime_class_name=node.runtime_class_name,
        )
    )
