"""Node workloads: one Deployment + Service per graph node, container named after the node."""

from __future__ import annotations

import json

from .. import defaults
from ..model import Graph, Node, Parameter, Predictor
from ..naming import object_name
from ..pointers import JSON
from ..vocabulary import VOCABULARY, ContainerSpec
from .containers import (
    env_list,
    http_probes,
    merge_resources,
    server_env,
    tcp_probes,
    tracing_env,
)
from .labels import workload_labels
from .mesh import in_mesh
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
    "server_image",
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


def _own_container(node: Node) -> ContainerSpec | None:
    """The container its implementation declares instead of a class of our server, if any."""
    declared = VOCABULARY.implementations.get(node.implementation or "")
    return None if declared is None else declared.container


def server_image(variant: str | None) -> str:
    """Our server image, or its variant that carries one runtime's library (`-xgboost`)."""
    return defaults.SERVER_IMAGE if variant is None else f"{defaults.SERVER_IMAGE}-{variant}"


def node_image(graph: Graph, node: Node) -> str:
    """The image of a node's container (and of its runtime-graph entry): a custom node's own;
    for an implementation with its own container, the node's override, else the graph's
    (`spec.images`), else the declared one; for a prepackaged node the server image variant
    its implementation declares (its GPU variant when the node asks for a GPU)."""
    own = _own_container(node)
    if own is not None:
        return node.image or graph.images.get(node.implementation or "") or own.image
    if node.implementation is None:
        return node.image or defaults.SERVER_IMAGE
    return server_image(VOCABULARY.implementations[node.implementation].variant_for(node.gpus))


def _args(node: Node, model_path: str | None) -> list[str] | None:
    """A custom image's own entrypoint (None), our server's `component`, or an own container's
    args with each compiled setting passed by its declared flag."""
    if node.implementation is None:
        return None
    own = _own_container(node)
    if own is None:
        return ["component"]
    settings = {
        "modelPath": model_path,
        "httpPort": str(defaults.HTTP_PORT),
        "grpcPort": str(defaults.GRPC_PORT),
        "metricsPort": str(defaults.METRICS_PORT),
    }
    flags = [f"{flag}={settings[key]}" for key, flag in own.flags.items() if settings[key]]
    return [*own.args, *flags]


def _parameter_text(p: Parameter) -> str:
    """The Seldon wire form: every value a string, parsed again by the server per its type."""
    if p.type == "BOOL":
        return "true" if p.value else "false"
    if p.type == "JSON":
        return json.dumps(p.value, sort_keys=True, separators=(",", ":"))
    return str(p.value)


def parameters_json(parameters: tuple[Parameter, ...]) -> str:
    """A node's (or detector's) parameters as the Seldon wrapper reads them from its
    environment."""
    items = [{"name": p.name, "type": p.type, "value": _parameter_text(p)} for p in parameters]
    return json.dumps(items, separators=(",", ":"))


def _env(graph: Graph, predictor: Predictor, node: Node, model_path: str | None) -> list[JSON]:
    if _own_container(node) is not None:  # not our server: it reads its args, not our settings
        return env_list({}, node.env)
    parameters = parameters_json(node.parameters)
    resource = {
        "infergraph.graph": graph.name,
        "infergraph.predictor": predictor.name,
        "infergraph.node": node.name,
    }
    settings = {
        **server_env(),
        **tracing_env(graph.serving.tracing, node_fullname(graph, predictor, node), resource),
        "INFERGRAPH_NAME": node.name,
        "INFERGRAPH_TYPE": node.type,
        "INFERGRAPH_PARAMETERS": parameters,
    }
    if node.implementation is not None:
        settings["INFERGRAPH_IMPLEMENTATION"] = node.implementation
        if node.gpus:
            settings["INFERGRAPH_GPUS"] = str(node.gpus)
    if model_path is not None:
        settings["INFERGRAPH_MODEL_URI"] = model_path
    if node.batching is not None:
        settings |= node.batching.env()
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
    fullname = node_fullname(graph, predictor, node)
    storage = model_storage(node.model_uri, node.env_secret_ref)
    tolerations = [dict(t) for t in node.tolerations]
    if node.gpus and GPU_TOLERATION not in tolerations:
        tolerations.append(GPU_TOLERATION)
    return workload(
        WorkloadSpec(
            name=node.name,
            fullname=fullname,
            labels=labels,
            selector_labels=selector,
            annotations={**graph.annotations, **predictor.annotations, **node.annotations},
            image=node_image(graph, node),
            image_pull_policy=node.image_pull_policy,
            args=_args(node, storage.path),
            env=_env(graph, predictor, node, storage.path),
            resources=merge_resources(defaults.NODE_RESOURCES, node.resources),
            probes=_probes(graph, node),
            replicas=replica_count(node.autoscaling, node.replicas, predictor.replicas),
            strategy=rollout_strategy(node.gpus),
            autoscaling=autoscaling_values(node.autoscaling, fullname),
            pdb=pdb_values(pdb),
            volumes=storage.volumes,
            mounts=storage.mounts,
            init_containers=storage.init_containers,
            termination_grace_period_seconds=node.termination_grace_period_seconds,
            node_selector=node.node_selector,
            tolerations=tolerations,
            runtime_class_name=node.runtime_class_name,
            in_mesh=in_mesh(graph.serving),
        )
    )
