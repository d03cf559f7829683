"""Planned pods in Docker's terms: the keyword arguments of `containers.create`, pure.

Kept apart from the Docker calls so that the mapping of each pod-spec field (security context,
limits, mounts, the shared network namespace) is tested without an engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from .model import Container, Pod
from .probes import AGENT_SCRIPT

__all__ = [
    "AGENT_DIR",
    "AGENT_SOCKET",
    "HOLDER_COMMAND",
    "LABEL_OWNER",
    "LABEL_POD",
    "LABEL_ROLE",
    "LABEL_RUN",
    "container_kwargs",
    "holder_kwargs",
    "holder_user",
    "mount_sources",
    "resource_name",
    "writable_claim_dir",
]

LABEL_RUN = "io.infergraph.run"  # on every container, network and volume a run creates
LABEL_OWNER = "io.infergraph.owner"  # "HOST:PID" of the `infergraph up` that created it
LABEL_POD = "io.infergraph.pod"
LABEL_ROLE = "io.infergraph.role"  # holder | init | app
#: where the holder's probe agent listens, inside the holder (a run directory mounted there)
AGENT_DIR = "/run/infergraph-probe"
AGENT_SOCKET = "agent.sock"
# The holder keeps the pod's network namespace and runs its probes (probes.AGENT_SCRIPT).
HOLDER_COMMAND = ["python3", "-S", "-c", AGENT_SCRIPT, f"{AGENT_DIR}/{AGENT_SOCKET}"]
_HOLDER_MEMORY = 64 * 2**20
_NOBODY = 65534
_HOSTNAME_MAX = 63


def resource_name(run_id: str, *parts: str) -> str:
    """A Docker object name unique to the run: ig-RUN-PARTS."""
    return "-".join(("ig", run_id, *parts))


def mount_sources(pod: Pod, run_id: str, rundir: str) -> dict[str, tuple[str, str]]:
    """Pod volume -> (Docker mount type, source): a run volume, a host dir we wrote, a claim."""
    sources: dict[str, tuple[str, str]] = {}
    for volume in pod.volumes:
        if volume.kind == "emptyDir":
            sources[volume.name] = ("volume", resource_name(run_id, pod.name, volume.name))
        elif volume.kind == "configMap":
            sources[volume.name] = ("bind", str(PurePath(rundir, pod.name, volume.name)))
        elif volume.writable:
            sources[volume.name] = ("bind", writable_claim_dir(rundir, volume.claim))
        else:
            sources[volume.name] = ("bind", volume.claim_dir)
    return sources


def writable_claim_dir(rundir: str, claim: str) -> str:
    """The run's own directory for claim `claim` when a container writes to it (shared by the
    run's pods that name the claim, as one volume would be; removed with the run)."""
    return str(PurePath(rundir, "claims", claim))


def _security(container: Container) -> dict[str, Any]:
    options = []
    if container.no_new_privileges:
        options.append("no-new-privileges:true")
    if container.seccomp_unconfined:
        options.append("seccomp=unconfined")
    out: dict[str, Any] = {
        "read_only": container.read_only_root,
        "cap_drop": list(container.cap_drop) or None,
        "cap_add": list(container.cap_add) or None,
        "security_opt": options or None,
    }
    if container.user is not None:
        group = "" if container.group is None else f":{container.group}"
        out["user"] = f"{container.user}{group}"
    return out


def _limits(container: Container) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if container.memory_limit is not None:
        out["mem_limit"] = container.memory_limit
    if container.memory_request is not None:
        out["mem_reservation"] = container.memory_request
    if container.nano_cpus is not None:
        out["nano_cpus"] = container.nano_cpus
    if container.cpu_shares is not None:
        out["cpu_shares"] = container.cpu_shares
    if container.gpus:
        from docker.types import DeviceRequest

        out["device_requests"] = [DeviceRequest(count=container.gpus, capabilities=[["gpu"]])]
    return out


def container_kwargs(
    container: Container,
    pod: Pod,
    *,
    name: str,
    labels: Mapping[str, str],
    holder: str,
    sources: Mapping[str, tuple[str, str]],
    env: Mapping[str, str],
    command: list[str] | None,
    args: list[str] | None,
) -> dict[str, Any]:
    """`containers.create` arguments of one container of `pod`, in the holder's namespace."""
    from docker.types import Mount

    mounts = [
        Mount(
            target=m.path,
            source=sources[m.volume][1],
            type=sources[m.volume][0],
            read_only=m.read_only,
            no_copy=sources[m.volume][0] == "volume",  # an emptyDir starts empty
        )
        for m in container.mounts
    ]
    return {
        "image": container.image,
        "name": name,
        "entrypoint": command,
        "command": args,
        "environment": dict(env),
        "working_dir": container.working_dir,
        "labels": dict(labels),
        "network_mode": f"container:{holder}",
        "mounts": mounts,
        "group_add": [str(g) for g in pod.group_add] or None,
        **_security(container),
        **_limits(container),
    }


def holder_user(pod: Pod) -> int:
    """The holder's uid (and gid): the first container's user, else nobody."""
    return next((c.user for c in pod.containers if c.user), _NOBODY)


def holder_kwargs(
    pod: Pod, *, image: str, name: str, network: str, labels: Mapping[str, str], agent_dir: str
) -> dict[str, Any]:
    """The holder of `pod`'s network namespace: its Service aliases, published ports, hardened;
    `agent_dir` is the host directory where its probe agent's socket appears."""
    from docker.types import Mount

    user = holder_user(pod)
    ports = {f"{p.container_port}/tcp": ("127.0.0.1", p.host_port) for p in pod.publish}
    hostname = pod.name[:_HOSTNAME_MAX].rstrip("-.")
    return {
        "image": image,
        "name": name,
        "entrypoint": HOLDER_COMMAND,
        "command": [],
        "hostname": hostname,
        "labels": dict(labels),
        "network": network,
        "aliases": [hostname, *pod.aliases],
        "ports": ports or None,
        "user": f"{user}:{user}",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "mem_limit": _HOLDER_MEMORY,
        "mounts": [Mount(target=AGENT_DIR, source=agent_dir, type="bind")],
    }
