"""The Pod Security Standards *restricted* profile (Kubernetes 1.30), plus our house rule.

The restricted profile includes the baseline one. Pod-level controls are in `_pod_controls`,
per-container ones in `_container_controls` (init and ephemeral containers included), those
that apply to both in `_shared_controls`, so a reader can tick them off against the published
list. House rule on top: every container has a read-only root filesystem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from infergraph.checks.pods import as_list, as_map, containers, get_path, pod_specs
from infergraph.checks.problem import Obj, ObjectProblem
from infergraph.pointers import PathPart, quote

__all__ = [
    "ALLOWED_CAPABILITIES",
    "ALLOWED_SECCOMP",
    "ALLOWED_SELINUX_TYPES",
    "ALLOWED_VOLUME_TYPES",
    "SAFE_SYSCTLS",
    "check_pod_security",
]

Finding = tuple[list[PathPart], str]

ALLOWED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
ALLOWED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
ALLOWED_SECCOMP = frozenset({"RuntimeDefault", "Localhost"})
ALLOWED_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
#: Namespaced sysctls the kubelet allows by default in 1.30 (the baseline "Sysctls" control).
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def check_pod_security(obj: Obj) -> Iterator[ObjectProblem]:
    """Every violation of the restricted profile in the pods of a workload object."""
    for spec_path, spec in pod_specs(obj):
        meta_path = [*spec_path[:-1], "metadata"]
        meta = as_map(get_path(obj, meta_path))
        pod_sc = as_map(spec.get("securityContext"))
        findings = [
            *((spec_path, f) for f in _pod_controls(spec)),
            *((meta_path, f) for f in _apparmor_annotations(meta)),
        ]
        for container_path, container in containers(spec_path, spec):
            findings.extend((container_path, f) for f in _container_controls(container, pod_sc))
        for base, (parts, reason) in findings:
            yield ObjectProblem.at(obj, [*base, *parts], reason)


def _pod_controls(spec: Mapping[str, Any]) -> Iterator[Finding]:
    sc = as_map(spec.get("securityContext"))
    yield from _host_namespaces(spec)
    yield from _volume_types(spec)
    yield from _sysctls(sc)
    yield from _shared_controls(sc, ["securityContext"])
    if sc.get("seccompProfile") is not None:
        yield from _seccomp(sc, ["securityContext"])


def _container_controls(
    container: Mapping[str, Any], pod_sc: Mapping[str, Any]
) -> Iterator[Finding]:
    sc = as_map(container.get("securityContext"))
    at: list[PathPart] = ["securityContext"]
    yield from _shared_controls(sc, at)
    yield from _host_ports(container)
    if sc.get("privileged") is True:
        yield [*at, "privileged"], "privileged containers are not allowed; remove it or set false"
    if sc.get("procMount") not in (None, "Default"):
        yield [*at, "procMount"], f"{quote(sc['procMount'])} is not allowed; use Default"
    if sc.get("allowPrivilegeEscalation") is not False:
        yield [*at, "allowPrivilegeEscalation"], "must be set to false"
    yield from _capabilities(as_map(sc.get("capabilities")), [*at, "capabilities"])
    if sc.get("seccompProfile") is not None or pod_sc.get("seccompProfile") is None:
        yield from _seccomp(sc, at)
    if sc.get("runAsNonRoot") is False or (
        sc.get("runAsNonRoot") is None and pod_sc.get("runAsNonRoot") is not True
    ):
        yield [*at, "runAsNonRoot"], "must be true here or in the pod securityContext"
    if sc.get("readOnlyRootFilesystem") is not True:
        yield (
            [*at, "readOnlyRootFilesystem"],
            "must be true (house rule); mount an emptyDir where the program writes",
        )


def _shared_controls(sc: Mapping[str, Any], at: list[PathPart]) -> Iterator[Finding]:
    """Controls that apply alike to the pod and to each container securityContext."""
    if as_map(sc.get("windowsOptions")).get("hostProcess") is True:
        yield [*at, "windowsOptions", "hostProcess"], "HostProcess pods are not allowed"
    if sc.get("runAsUser") == 0:
        yield [*at, "runAsUser"], "0 (root) is not allowed; use a non-zero user id"
    apparmor = as_map(sc.get("appArmorProfile")).get("type")
    if apparmor not in (None, "RuntimeDefault", "Localhost"):
        yield (
            [*at, "appArmorProfile", "type"],
            f"{quote(apparmor)} is not allowed; use RuntimeDefault",
        )
    selinux = as_map(sc.get("seLinuxOptions"))
    if selinux.get("type", "") not in ALLOWED_SELINUX_TYPES:
        allowed = ", ".join(sorted(ALLOWED_SELINUX_TYPES - {""}))
        yield [*at, "seLinuxOptions", "type"], f"{quote(selinux['type'])} is not one of {allowed}"
    for field in ("user", "role"):
        if selinux.get(field):
            yield [*at, "seLinuxOptions", field], "must not be set"


def _host_namespaces(spec: Mapping[str, Any]) -> Iterator[Finding]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            yield [field], "sharing a host namespace is not allowed; remove it or set false"


def _volume_types(spec: Mapping[str, Any]) -> Iterator[Finding]:
    allowed = ", ".join(sorted(ALLOWED_VOLUME_TYPES))
    for index, volume in enumerate(as_list(spec.get("volumes"))):
        for kind in as_map(volume):
            if kind != "name" and kind not in ALLOWED_VOLUME_TYPES:
                yield ["volumes", index, kind], f"{kind} volumes are not allowed; use {allowed}"


def _sysctls(sc: Mapping[str, Any]) -> Iterator[Finding]:
    for index, sysctl in enumerate(as_list(sc.get("sysctls"))):
        name = as_map(sysctl).get("name")
        if name not in SAFE_SYSCTLS:
            yield (
                ["securityContext", "sysctls", index, "name"],
                f"{quote(name)} is not a safe sysctl; allowed: {', '.join(sorted(SAFE_SYSCTLS))}",
            )


def _seccomp(sc: Mapping[str, Any], at: list[PathPart]) -> Iterator[Finding]:
    kind = as_map(sc.get("seccompProfile")).get("type")
    if kind is None:
        yield (
            [*at, "seccompProfile"],
            ("missing; set {type: RuntimeDefault} here or in the pod securityContext"),
        )
    elif kind not in ALLOWED_SECCOMP:
        yield [*at, "seccompProfile", "type"], f"{quote(kind)} is not allowed; use RuntimeDefault"


def _capabilities(caps: Mapping[str, Any], at: list[PathPart]) -> Iterator[Finding]:
    if "ALL" not in as_list(caps.get("drop")):
        yield [*at, "drop"], "must include ALL"
    for index, cap in enumerate(as_list(caps.get("add"))):
        if cap not in ALLOWED_CAPABILITIES:
            yield [*at, "add", index], f"{quote(cap)} may not be added; only NET_BIND_SERVICE"


def _host_ports(container: Mapping[str, Any]) -> Iterator[Finding]:
    for index, port in enumerate(as_list(container.get("ports"))):
        if as_map(port).get("hostPort") not in (None, 0):
            yield ["ports", index, "hostPort"], "host ports are not allowed; remove hostPort"


def _apparmor_annotations(meta: Mapping[str, Any]) -> Iterator[Finding]:
    for key, value in as_map(meta.get("annotations")).items():
        if str(key).startswith(_APPARMOR_ANNOTATION) and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            yield ["annotations", key], f"{quote(value)} is not allowed; use runtime/default"
