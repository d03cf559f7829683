"""A container's environment and arguments as the kubelet computes them.

Downward-API `fieldRef` values take the pod's own facts; `$(VAR)` in env values, command and
args expands to variables defined before it (`$$` is a literal `$`; an unknown reference stays
as written), as Kubernetes does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .model import Container, FieldRef

__all__ = ["FIELD_PATHS", "PodFacts", "expand", "resolve"]

#: The downward-API field paths the runner fills (labels and annotations by key too).
FIELD_PATHS = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.podIP",
    "status.podIPs",
)
_KEYED = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")
_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


@dataclass(frozen=True)
class PodFacts:
    """What the downward API reads: known once the pod's network namespace exists."""

    name: str
    namespace: str
    uid: str
    node_name: str
    service_account: str
    host_ip: str
    pod_ip: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]

    def field(self, path: str) -> str:
        """The value of a fieldRef path; KeyError for paths the runner does not fill."""
        keyed = _KEYED.match(path)
        if keyed:
            source = self.labels if keyed[1] == "labels" else self.annotations
            return source.get(keyed[2], "")
        values = {
            "metadata.name": self.name,
            "metadata.namespace": self.namespace,
            "metadata.uid": self.uid,
            "spec.nodeName": self.node_name,
            "spec.serviceAccountName": self.service_account,
            "status.hostIP": self.host_ip,
            "status.podIP": self.pod_ip,
            "status.podIPs": self.pod_ip,
        }
        return values[path]


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion of one string against `env`."""

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        return env.get(match[1], match[0])

    return _REFERENCE.sub(one, text)


def resolve(
    container: Container, facts: PodFacts
) -> tuple[dict[str, str], list[str] | None, list[str] | None]:
    """(env, entrypoint, cmd) of `container` in the pod described by `facts`."""
    env: dict[str, str] = {}
    for name, value in container.env:
        env[name] = facts.field(value.path) if isinstance(value, FieldRef) else expand(value, env)
    command = None if container.command is None else [expand(a, env) for a in container.command]
    args = None if container.args is None else [expand(a, env) for a in container.args]
    return env, command, args
