"""What the container runner starts: pods of containers, as frozen data.

plan.py builds these from rendered objects (pure); engine.py turns them into Docker calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Container",
    "FieldRef",
    "Handler",
    "Plan",
    "Pod",
    "Probe",
    "Publish",
    "Volume",
    "VolumeMount",
]


@dataclass(frozen=True)
class FieldRef:
    """A downward-API env value, filled with the pod's own facts when it starts."""

    path: str  # metadata.name, metadata.namespace, status.podIP, ...


@dataclass(frozen=True)
class Handler:
    """A probe's or preStop hook's action. http and tcp run in the pod's network namespace."""

    action: Literal["http", "tcp", "exec", "sleep"]
    port: int = 0
    path: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    command: tuple[str, ...] = ()
    seconds: float = 0.0  # sleep


@dataclass(frozen=True)
class Probe:
    """A kubelet probe with its timings (seconds) and thresholds."""

    handler: Handler
    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int


@dataclass(frozen=True)
class VolumeMount:
    volume: str  # the pod volume's name
    path: str
    read_only: bool


@dataclass(frozen=True)
class Volume:
    """A pod volume: an emptyDir (a labelled tmpfs volume), configMap files or a claim dir.

    A claim every mount reads is the user's `--volumes` directory, mounted read-only; a claim
    some container writes to (a log sink's) is `writable`: the run gives it a directory of its
    own under its state directory, so that nothing we did not create is ever written.
    """

    name: str
    kind: Literal["emptyDir", "configMap", "claim"]
    claim_dir: str = ""  # claim: the user's host directory (read-only claims)
    claim: str = ""  # claim: its claimName
    read_only: bool = False  # claim: persistentVolumeClaim.readOnly
    writable: bool = False  # claim: mounted read-write by some container of the pod
    files: Mapping[str, str] = field(default_factory=dict)  # configMap: path -> text
    file_mode: int = 0o644
    size_bytes: int | None = None  # emptyDir sizeLimit


@dataclass(frozen=True)
class Container:
    """One container exactly as its pod spec writes it, resolved to Docker's terms."""

    name: str
    image: str
    pull_policy: str
    command: tuple[str, ...] | None  # Docker entrypoint; None: the image's
    args: tuple[str, ...] | None  # Docker cmd; None: the image's
    env: tuple[tuple[str, str | FieldRef], ...]
    working_dir: str | None
    user: int | None
    group: int | None
    run_as_non_root: bool
    read_only_root: bool
    cap_drop: tuple[str, ...]
    cap_add: tuple[str, ...]
    no_new_privileges: bool
    seccomp_unconfined: bool
    mounts: tuple[VolumeMount, ...]
    memory_limit: int | None
    memory_request: int | None
    nano_cpus: int | None
    cpu_shares: int | None
    gpus: int
    ports: Mapping[str, int]  # port name -> container port
    startup: Probe | None = None
    readiness: Probe | None = None
    liveness: Probe | None = None
    pre_stop: Handler | None = None


@dataclass(frozen=True)
class Publish:
    """A container port published on 127.0.0.1 (only the gateway's)."""

    container_port: int
    host_port: int


@dataclass(frozen=True)
class Pod:
    """One pod: its containers share one network namespace (held by a holder container)."""

    name: str
    owner: str  # "Deployment/iris-main-classifier": the object errors and warnings name
    namespace: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    service_account: str
    aliases: tuple[str, ...]  # the Service names that select it (DNS on the graph network)
    grace_seconds: float
    restart: Literal["Always", "Never"]
    init_containers: tuple[Container, ...]
    containers: tuple[Container, ...]
    volumes: tuple[Volume, ...]
    group_add: tuple[int, ...]  # fsGroup and supplementalGroups
    publish: tuple[Publish, ...] = ()


@dataclass(frozen=True)
class Plan:
    """Everything one run starts: node and orchestrator pods, the gateway, the test pod."""

    graph: str
    namespace: str
    holder_image: str  # our image: holds each pod's network namespace and runs its probes
    pods: tuple[Pod, ...]
    gateway: Pod
    test: Pod | None
    warnings: tuple[str, ...]
