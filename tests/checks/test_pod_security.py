"""The restricted Pod Security profile and the read-only root filesystem house rule.

One case per control: a good object broken in exactly one place must fail at that place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infergraph.checks.pod_security import check_pod_security

Obj = dict[str, Any]
POD = "/spec/template/spec"
MAIN = f"{POD}/containers/0"
INIT = f"{POD}/initContainers/0"


def pod(d: Obj) -> Obj:
    spec: Obj = d["spec"]["template"]["spec"]
    return spec


def main_sc(d: Obj) -> Obj:
    sc: Obj = pod(d)["containers"][0]["securityContext"]
    return sc


def init_sc(d: Obj) -> Obj:
    sc: Obj = pod(d)["initContainers"][0]["securityContext"]
    return sc


# (case id, how to break the good Deployment, the one path that must be reported)
CASES: list[tuple[str, Callable[[Obj], object], str]] = [
    ("host network", lambda d: pod(d).update(hostNetwork=True), f"{POD}/hostNetwork"),
    ("host pid", lambda d: pod(d).update(hostPID=True), f"{POD}/hostPID"),
    ("host ipc", lambda d: pod(d).update(hostIPC=True), f"{POD}/hostIPC"),
    (
        "hostPath volume",
        lambda d: pod(d)["volumes"].append({"name": "host", "hostPath": {"path": "/"}}),
        f"{POD}/volumes/2/hostPath",
    ),
    (
        "nfs volume",
        lambda d: pod(d)["volumes"].append({"name": "n", "nfs": {"server": "s", "path": "/"}}),
        f"{POD}/volumes/2/nfs",
    ),
    (
        "privileged",
        lambda d: main_sc(d).update(privileged=True),
        f"{MAIN}/securityContext/privileged",
    ),
    (
        "privileged init container",
        lambda d: init_sc(d).update(privileged=True),
        f"{INIT}/securityContext/privileged",
    ),
    (
        "privilege escalation",
        lambda d: main_sc(d).pop("allowPrivilegeEscalation"),
        f"{MAIN}/securityContext/allowPrivilegeEscalation",
    ),
    (
        "capability added",
        lambda d: main_sc(d)["capabilities"].update(add=["NET_BIND_SERVICE", "SYS_ADMIN"]),
        f"{MAIN}/securityContext/capabilities/add/1",
    ),
    (
        "ALL not dropped",
        lambda d: main_sc(d)["capabilities"].update(drop=["NET_RAW"]),
        f"{MAIN}/securityContext/capabilities/drop",
    ),
    (
        "runAsNonRoot false",
        lambda d: init_sc(d).update(runAsNonRoot=False),
        f"{INIT}/securityContext/runAsNonRoot",
    ),
    (
        "root user in the pod",
        lambda d: pod(d)["securityContext"].update(runAsUser=0),
        f"{POD}/securityContext/runAsUser",
    ),
    (
        "root user in a container",
        lambda d: main_sc(d).update(runAsUser=0),
        f"{MAIN}/securityContext/runAsUser",
    ),
    (
        "seccomp unconfined",
        lambda d: main_sc(d).update(seccompProfile={"type": "Unconfined"}),
        f"{MAIN}/securityContext/seccompProfile/type",
    ),
    (
        "host port",
        lambda d: pod(d)["containers"][0]["ports"][0].update(hostPort=80),
        f"{MAIN}/ports/0/hostPort",
    ),
    (
        "unsafe sysctl",
        lambda d: pod(d)["securityContext"].update(
            sysctls=[
                {"name": "net.ipv4.tcp_syncookies", "value": "1"},
                {"name": "kernel.msgmax", "value": "1"},
            ]
        ),
        f"{POD}/securityContext/sysctls/1/name",
    ),
    (
        "SELinux type",
        lambda d: main_sc(d).update(seLinuxOptions={"type": "spc_t"}),
        f"{MAIN}/securityContext/seLinuxOptions/type",
    ),
    (
        "SELinux user",
        lambda d: pod(d)["securityContext"].update(seLinuxOptions={"user": "system_u"}),
        f"{POD}/securityContext/seLinuxOptions/user",
    ),
    (
        "proc mount",
        lambda d: main_sc(d).update(procMount="Unmasked"),
        f"{MAIN}/securityContext/procMount",
    ),
    (
        "AppArmor unconfined",
        lambda d: pod(d)["securityContext"].update(appArmorProfile={"type": "Unconfined"}),
        f"{POD}/securityContext/appArmorProfile/type",
    ),
    (
        "AppArmor annotation",
        lambda d: d["spec"]["template"]["metadata"].update(
            annotations={"container.apparmor.security.beta.kubernetes.io/clf": "unconfined"}
        ),
        "/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1clf",
    ),
    (
        "Windows host process",
        lambda d: main_sc(d).update(windowsOptions={"hostProcess": True}),
        f"{MAIN}/securityContext/windowsOptions/hostProcess",
    ),
    (
        "writable root filesystem",
        lambda d: init_sc(d).update(readOnlyRootFilesystem=False),
        f"{INIT}/securityContext/readOnlyRootFilesystem",
    ),
]


def paths(obj: Obj) -> list[str]:
    return [p.path for p in check_pod_security(obj)]


def test_good_pods_pass(good: dict[str, Obj]) -> None:
    assert paths(good["Deployment"]) == []
    assert paths(good["Pod"]) == []


@pytest.mark.parametrize(("case", "breakage", "path"), CASES, ids=[c[0] for c in CASES])
def test_each_control_fails_at_its_path(
    good: dict[str, Obj], case: str, breakage: Callable[[Obj], object], path: str
) -> None:
    deployment = good["Deployment"]
    breakage(deployment)
    assert paths(deployment) == [path], case


def test_missing_seccomp_profile_is_reported_per_container(good: dict[str, Obj]) -> None:
    deployment = good["Deployment"]
    del pod(deployment)["securityContext"]["seccompProfile"]
    del main_sc(deployment)["seccompProfile"]
    assert paths(deployment) == [f"{MAIN}/securityContext/seccompProfile"]
    del init_sc(deployment)["seccompProfile"]
    assert sorted(paths(deployment)) == [
        f"{MAIN}/securityContext/seccompProfile",
        f"{INIT}/securityContext/seccompProfile",
    ]


def test_pod_level_settings_cover_containers(good: dict[str, Obj]) -> None:
    """runAsNonRoot and seccompProfile set on the pod are enough, as the profile says."""
    deployment = good["Deployment"]
    for sc in (main_sc(deployment), init_sc(deployment)):
        del sc["runAsNonRoot"], sc["seccompProfile"]
    assert paths(deployment) == []
    del pod(deployment)["securityContext"]["runAsNonRoot"]
    assert paths(deployment) == [
        f"{INIT}/securityContext/runAsNonRoot",
        f"{MAIN}/securityContext/runAsNonRoot",
    ]


def test_bare_pod_is_checked_at_its_own_paths(good: dict[str, Obj]) -> None:
    test_pod = good["Pod"]
    test_pod["spec"]["containers"][0]["securityContext"]["privileged"] = True
    test_pod["spec"]["volumes"] = [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]
    test_pod["metadata"]["annotations"][
        "container.apparmor.security.beta.kubernetes.io/request"
    ] = "x"
    assert paths(test_pod) == [
        "/spec/volumes/0/hostPath",
        "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1request",
        "/spec/containers/0/securityContext/privileged",
    ]


def test_container_without_security_context_lists_every_missing_setting(
    good: dict[str, Obj],
) -> None:
    test_pod = good["Pod"]
    del test_pod["spec"]["securityContext"]
    del test_pod["spec"]["containers"][0]["securityContext"]
    at = "/spec/containers/0/securityContext"
    assert paths(test_pod) == [
        f"{at}/allowPrivilegeEscalation",
        f"{at}/capabilities/drop",
        f"{at}/seccompProfile",
        f"{at}/runAsNonRoot",
        f"{at}/readOnlyRootFilesystem",
    ]


def test_objects_without_pods_are_ignored(good: dict[str, Obj]) -> None:
    assert paths(good["Service"]) == []
    assert paths(good["VirtualService"]) == []
