"""`docker run` options for one container of a rendered pod, as the kubelet would run it.

Only what the container tier's single-pod tests need: user and group, the security context,
env, args, ports published on 127.0.0.1, the memory limit, `emptyDir` as tmpfs and a
`persistentVolumeClaim` as a read-only bind of a host directory. A securityContext field or
volume kind it does not know is an error naming it: a test must not pass by ignoring one.
(`infergraph up --runtime containers` is the full runner.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["Unsupported", "docker_run_args", "pod_template"]

JSON = Any
_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation",
    "capabilities",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
    "seccompProfile",
}
_POD_SECURITY = {"fsGroup", "runAsGroup", "runAsNonRoot", "runAsUser", "seccompProfile"}
_MEMORY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


class Unsupported(ValueError):
    """A pod-spec field these tests do not translate."""


def pod_template(objects: list[JSON], deployment: str) -> JSON:
    """The pod template of Deployment `deployment` among rendered objects."""
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == deployment:
            return obj["spec"]["template"]
    raise KeyError(f"no Deployment {deployment!r} rendered")


def _memory(quantity: str) -> int:
    number, unit = quantity[:-2], quantity[-2:]
    if unit not in _MEMORY:
        raise Unsupported(f"resources.limits.memory: {quantity!r}; expected Ki, Mi or Gi")
    return int(number) * _MEMORY[unit]


def _security(pod: JSON, container: JSON) -> list[str]:
    where = f"container {container['name']}"
    pod_sc, sc = pod.get("securityContext", {}), container.get("securityContext", {})
    for fields, known, name in ((pod_sc, _POD_SECURITY, "pod"), (sc, _CONTAINER_SECURITY, where)):
        if unknown := set(fields) - known:
            raise Unsupported(f"{name}: securityContext.{sorted(unknown)[0]} is not translated")
    args = ["--user", f"{pod_sc['runAsUser']}:{pod_sc['runAsGroup']}"]
    if "fsGroup" in pod_sc:
        args += ["--group-add", str(pod_sc["fsGroup"])]
    for profile in (pod_sc.get("seccompProfile"), sc.get("seccompProfile")):
        if profile and profile != {"type": "RuntimeDefault"}:
            raise Unsupported(f"{where}: seccompProfile {profile} (only RuntimeDefault)")
    if sc.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    for cap in sc.get("capabilities", {}).get("drop", []):
        args += ["--cap-drop", cap]
    if sc.get("capabilities", {}).get("add"):
        raise Unsupported(f"{where}: capabilities.add")
    if sc.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    return args


def _volumes(pod: JSON, container: JSON, claims: Path) -> list[str]:
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    args: list[str] = []
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "emptyDir" in volume:
            args += ["--tmpfs", f"{mount['mountPath']}:rw,exec,mode=1777"]
        elif "persistentVolumeClaim" in volume:
            claim = claims / volume["persistentVolumeClaim"]["claimName"]
            mode = "ro" if mount.get("readOnly") else "rw"
            args += ["--volume", f"{claim}:{mount['mountPath']}:{mode}"]
        else:
            raise Unsupported(f"volume {mount['name']}: only emptyDir and persistentVolumeClaim")
    return args


def docker_run_args(template: JSON, claims: Path, publish: int) -> list[str]:
    """`docker run` options and image and args for the first container of a pod template;
    claims are directories `claims/<claimName>`; container port `publish` goes to 127.0.0.1."""
    pod = template["spec"]
    container = pod["containers"][0]
    args = _security(pod, container) + _volumes(pod, container, claims)
    for env in container.get("env", []):
        if "value" not in env:
            raise Unsupported(f"env {env['name']}: only plain values")
        args += ["--env", f"{env['name']}={env['value']}"]
    if memory := container.get("resources", {}).get("limits", {}).get("memory"):
        args += ["--memory", str(_memory(memory))]
    args += ["--publish", f"127.0.0.1::{publish}"]
    if "command" in container:
        args += ["--entrypoint", container["command"][0]]
    command = [*container.get("command", [])[1:], *container.get("args", [])]
    return [*args, container["image"], *command]
