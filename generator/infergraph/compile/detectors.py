"""Detector workloads: one Deployment + Service per `spec.detectors` entry, on our image.

A detector runs `infergraph-server detector`, reads its reference data from `modelUri` (mounted
or downloaded as a node's model is) and receives the payload-log CloudEvents on POST /. It
keeps its window in memory, so it runs as one replica of one worker.
"""

from __future__ import annotations

from .. import defaults
from ..model import Detector, Graph
from ..naming import object_name
from ..pointers import JSON
from .containers import env_list, http_probes, merge_resources, server_env
from .labels import detector_labels
from .mesh import in_mesh
from .nodes import parameters_json
from .scaling import rollout_strategy
from .storage import model_storage
from .workload import WorkloadSpec, workload

__all__ = ["detector_fullname", "detector_workload"]

#: the health paths of `infergraph-server detector`, as of every prepackaged server
HEALTH_PATHS = ("/v2/health/live", "/v2/health/ready")


def detector_fullname(graph: Graph, detector: Detector) -> str:
    """`G-D`: its Deployment and Service name (a rule keeps it apart from the other workloads)."""
    return object_name(graph.name, detector.name)


def _env(detector: Detector, model_path: str | None) -> list[JSON]:
    settings = {
        **server_env(),
        "INFERGRAPH_WORKERS": "1",  # one window per detector
        "INFERGRAPH_NAME": detector.name,
        "INFERGRAPH_DETECTOR": detector.implementation,
        "INFERGRAPH_PARAMETERS": parameters_json(detector.parameters),
    }
    if model_path is not None:
        settings["INFERGRAPH_MODEL_URI"] = model_path
    if detector.events_url is not None:
        settings["INFERGRAPH_EVENTS_URL"] = detector.events_url
    return env_list(settings, ())


def detector_workload(graph: Graph, detector: Detector) -> JSON:
    labels, selector = detector_labels(graph, detector)
    storage = model_storage(detector.model_uri, detector.env_secret_ref)
    return workload(
        WorkloadSpec(
            name=detector.name,
            fullname=detector_fullname(graph, detector),
            labels=labels,
            selector_labels=selector,
            annotations=dict(graph.annotations),
            image=defaults.SERVER_IMAGE,
            args=["detector"],
            env=_env(detector, storage.path),
            resources=merge_resources(defaults.NODE_RESOURCES, detector.resources),
            probes=http_probes(*HEALTH_PATHS),
            replicas=defaults.DETECTOR_REPLICAS,
            strategy=rollout_strategy(0),
            autoscaling=None,
            pdb=None,
            volumes=storage.volumes,
            mounts=storage.mounts,
            init_containers=storage.init_containers,
            in_mesh=in_mesh(graph.serving),
        )
    )
