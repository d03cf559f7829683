"""The workload record (a Deployment + Service) shared by orchestrators and nodes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import defaults
from ..pointers import JSON
from .containers import (
    container_ports,
    container_security_context,
    pod_security_context,
    prometheus_annotations,
    scratch_volume,
    service_ports,
)
from .mesh import mesh_pod_metadata

__all__ = ["WorkloadSpec", "workload"]


@dataclass(frozen=True)
class WorkloadSpec:
    """What differs between workloads; everything else is the house default."""

    name: str
    fullname: str
    labels: Mapping[str, str]
    selector_labels: Mapping[str, str]
    image: str
    args: list[str] | None
    env: list[JSON]
    resources: JSON
    probes: Mapping[str, JSON]
    replicas: int | None
    strategy: JSON
    autoscaling: JSON
    pdb: JSON
    annotations: Mapping[str, str]
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    image_pull_policy: str | None = None  # None: defaults.IMAGE_PULL_POLICY
    volumes: list[JSON] = field(default_factory=list)
    mounts: list[JSON] = field(default_factory=list)
    init_containers: list[JSON] = field(default_factory=list)
    termination_grace_period_seconds: int | None = None  # None: the default
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: list[JSON] = field(default_factory=list)
    runtime_class_name: str | None = None
    in_mesh: bool = False  # the pod joins the Istio mesh (mesh.py)


def _lifecycle(grace_seconds: int) -> JSON:
    """The container's lifecycle: the preStop sleep that lets endpoints drain, shortened to fit
    the grace period (the API server requires 0 < sleep < terminationGracePeriodSeconds, so a
    grace period of 1 s or less leaves no room for one: no hook)."""
    seconds = min(defaults.PRE_STOP_SECONDS, grace_seconds - 1)
    return {"preStop": {"sleep": {"seconds": seconds}}} if seconds > 0 else {}


def workload(spec: WorkloadSpec) -> JSON:
    """The explicit values of one workload, in the contract's shape (docs/contract.md)."""
    scratch, scratch_mount = scratch_volume()
    mesh_labels, mesh_annotations = mesh_pod_metadata(spec.in_mesh)
    grace = (
        defaults.TERMINATION_GRACE_PERIOD_SECONDS
        if spec.termination_grace_period_seconds is None
        else spec.termination_grace_period_seconds
    )
    container = {
        "name": spec.name,
        "image": spec.image,
        "imagePullPolicy": spec.image_pull_policy or defaults.IMAGE_PULL_POLICY,
        "command": None,
        "args": spec.args,
        "env": spec.env,
        "ports": container_ports(),
        "resources": spec.resources,
        **spec.probes,
        "lifecycle": _lifecycle(grace),
        "securityContext": container_security_context(),
        "volumeMounts": [scratch_mount, *spec.mounts],
    }
    return {
        "name": spec.name,
        "fullname": spec.fullname,
        "labels": dict(spec.labels),
        "selectorLabels": dict(spec.selector_labels),
        "annotations": dict(spec.annotations),
        "podLabels": {**spec.labels, **mesh_labels},
        "podAnnotations": {
            **prometheus_annotations(),
            **spec.pod_annotations,
            **mesh_annotations,
        },
        "replicas": spec.replicas,
        "strategy": spec.strategy,
        "terminationGracePeriodSeconds": grace,
        "podSecurityContext": pod_security_context(),
        "nodeSelector": dict(spec.node_selector),
        "tolerations": spec.tolerations,
        "runtimeClassName": spec.runtime_class_name,
        "initContainers": spec.init_containers,
        "volumes": [scratch, *spec.volumes],
        "container": container,
        "service": {"ports": service_ports()},
        "autoscaling": spec.autoscaling,
        "podDisruptionBudget": spec.pdb,
    }
