"""Node workloads: one Deployment + Service per graph node, container named after the node."""

from __future__ import annotations

import json
from typing import Any

from .. import defaults
from ..model import Graph, Node, Parameter, Predictor
from ..naming import object_name
from .containers import http_probes, merge_resources, tcp_probes
from .labels import workload_labels
from .scaling import autoscaling_values, pdb_values, replica_count, rollout_strategy
from .storage import model_storage
from .workload import WorkloadSpec, workload

__all__ = ["node_fullname", "node_image", "node_workload", "parameters_json"]

JSON = Any
GPU_TOLERATION = {"key": defaults.GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}


def node_fullname(graph: Graph, predictor: Predictor, node: Node) -> str:
    return object_name(graph.name, predictor.name, node.name)


def node_image(node: Node) -> str:
    """Prepackaged implementations run in our server image; custom nodes bring theirs."""
    if node.implementation is not None or node.image is None:
        return defaults.SERVER_IMAGE
    return node.image


def _parameter_text(p: Parameter) -> str:
    """The Seldon wire form: every value a string, parsed again by the server per its type."""
    if p.type == "BOOL":
        return "true" if p.value else "false"
    if p.type == "JSON":
        return json.dumps(p.value, sort_keys=True, separators=(",", ":"))
    return str(p.value)


def parameters_json(node: Node) -> str:
    items = [{"name": p.name, "type": p.type, "value": _parameter_text(p)} for p in node.parameters]
    return json.dumps(items, separators=(",", ":"))


def _env(graph: Graph, predictor: Predictor, node: Node, model_path: str | None) -> list[JSON]:
    settings = {
        "INFERGRAPH_NAME": node.name,
        "INFERGRAPH_TYPE": node.type,
        "INFERGRAPH_PARAMETERS": parameters_json(node),
        "INFERGRAPH_HTTP_PORT": str(defaults.HTTP_PORT),
        "INFERGRAPH_GRPC_PORT": str(defaults.GRPC_PORT),
        "INFERGRAPH_METRICS_PORT": str(defaults.METRICS_PORT),
        "INFERGRAPH_WORKERS": str(defaults.WORKERS),
    }
    if node.implementation is not None:
        settings["INFERGRAPH_IMPLEMENTATION"] = node.implementation
    if model_path is not None:
        settings["INFERGRAPH_MODEL_URI"] = model_path
    if node.implementation is None:
        # Seldon's wrapper reads these, so existing Seldon images run unchanged.
        settings |= {
            "PREDICTIVE_UNIT_ID": node.name,
            "PREDICTIVE_UNIT_PARAMETERS": parameters_json(node),
            "PREDICTIVE_UNIT_HTTP_SERVICE_PORT": str(defaults.HTTP_PORT),
            "PREDICTIVE_UNIT_GRPC_SERVICE_PORT": str(defaults.GRPC_PORT),
            "PREDICTIVE_UNIT_METRICS_SERVICE_PORT": str(defaults.METRICS_PORT),
            "PREDICTOR_ID": predictor.name,
            "SELDON_DEPLOYMENT_ID": graph.name,
        }
    ours = [{"name": k, "value": v} for k, v in sorted(settings.items())]
    return ours + [dict(e) for e in node.env]


def _probes(graph: Graph, node: Node) -> dict[str, JSON]:
    if node.implementation is not None or graph.protocol == "v2":
        return http_probes("/v2/health/live", "/v2/health/ready")
    if node.endpoint_type == "GRPC":
        return tcp_probes()
    return http_probes("/health/ping", "/health/status")


def node_workload(graph: Graph, predictor: Predictor, node: Node, pdb: bool) -> JSON:
    labels, selector = workload_labels(graph, predictor, node)
    storage = model_storage(node)
    gpus = node.resources.gpus if node.resources is not None else 0
    tolerations = [dict(t) for t in node.tolerations]
    if gpus and GPU_TOLERATION not in tolerations:
        tolerations.append(GPU_TOLERATION)
    return workload(
        WorkloadSpec(
            name=node.name,
            fullname=node_fullname(graph, predictor, node),
            labels=labels,
            selector_labels=selector,
            annotations={**graph.annotations, **predictor.annotations, **node.annotations},
            image=node_image(node),
            image_pull_policy=node.image_pull_policy or defaults.IMAGE_PULL_POLICY,
            args=["component"] if node.implementation is not None or node.image is None else None,
            env=_env(graph, predictor, node, storage.path),
            resources=merge_resources(defaults.NODE_RESOURCES, node.resources),
            probes=_probes(graph, node),
            replicas=replica_count(node.autoscaling, node.replicas, predictor.replicas),
            strategy=rollout_strategy(gpus),
            autoscaling=autoscaling_values(node.autoscaling),
            pdb=pdb_values(pdb),
            volumes=storage.volumes,
            mounts=storage.mounts,
            init_containers=storage.init_containers,
            termination_grace_period_seconds=(
                defaults.TERMINATION_GRACE_PERIOD_SECONDS
                if node.termination_grace_period_seconds is None
                else node.termination_grace_period_seconds
            ),
            node_selector=node.node_selector,
            tolerations=tolerations,
            runtime_class_name=node.runtime_class_name,
        )
    )
