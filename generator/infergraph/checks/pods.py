"""Where pod specs and containers sit inside workload objects, with their paths."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from infergraph.checks.problem import Obj
from infergraph.pointers import PathPart

__all__ = [
    "CONTAINER_LISTS",
    "POD_TEMPLATE_PATHS",
    "as_list",
    "as_map",
    "containers",
    "get_path",
    "pod_specs",
]

#: Path from the object to its pod spec, per kind.
POD_TEMPLATE_PATHS: Mapping[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

#: Every list of containers a pod spec has; policy applies to all of them.
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def as_map(value: Any) -> Mapping[str, Any]:
    """`value` if it is a mapping, else empty: policy checks read malformed input safely."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a list, else empty."""
    return value if isinstance(value, list) else []


def get_path(obj: Any, parts: Sequence[PathPart]) -> Any:
    """The value at `parts` inside `obj`, or None where the way is missing or malformed."""
    node = obj
    for part in parts:
        if isinstance(node, Mapping) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def pod_specs(obj: Obj) -> Iterator[tuple[list[PathPart], Mapping[str, Any]]]:
    """Yield (path, pod spec) of a workload object; nothing for other kinds or malformed ones."""
    parts: list[PathPart] = list(POD_TEMPLATE_PATHS.get(str(obj.get("kind")), ()))
    spec = get_path(obj, parts) if parts else None
    if isinstance(spec, Mapping):
        yield parts, spec


def containers(
    path: list[PathPart], spec: Mapping[str, Any]
) -> Iterator[tuple[list[PathPart], Mapping[str, Any]]]:
    """Yield (path, container) for init, regular and ephemeral containers of a pod spec."""
    for field in CONTAINER_LISTS:
        for index, container in enumerate(as_list(spec.get(field))):
            if isinstance(container, Mapping):
                yield [*path, field, index], container
