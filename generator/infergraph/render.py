"""Render compiled values into Kubernetes objects with either engine, in one stable order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .errors import UsageError
from .naming import is_dns_label
from .output import dump_yaml
from .pointers import JSON, quote

__all__ = [
    "KIND_ORDER",
    "Engine",
    "object_filename",
    "object_files",
    "render_values",
    "sort_objects",
    "to_yaml",
]

Engine = Literal["helm", "jsonnet"]
KIND_ORDER = (
    "ServiceAccount",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "ScaledObject",
    "TriggerAuthentication",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "DestinationRule",
    "VirtualService",
    "HTTPRoute",
    "GRPCRoute",
    "PeerAuthentication",
    "AuthorizationPolicy",
    "ServiceMonitor",
    "Pod",
)


def _key(obj: JSON) -> tuple[int, str, str]:
    kind = obj.get("kind", "")
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    return rank, kind, obj.get("metadata", {}).get("name", "")


def sort_objects(objects: Sequence[JSON]) -> list[JSON]:
    """Kind order, then name: the order of every rendered output."""
    return sorted(objects, key=_key)


def object_filename(obj: JSON) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def object_files(graph_name: str, objects: Sequence[JSON]) -> dict[str, str]:
    """One YAML file per object (`render -o DIR`), each headed by the line that tells a later
    render of the same graph that the file is its own to replace or remove."""
    owner = f"# infergraph render of graph {graph_name}: generated; a new render replaces it"
    return {object_filename(o): f"{owner}\n{to_yaml([o])}" for o in objects}


def to_yaml(objects: Sequence[JSON]) -> str:
    """One multi-document YAML stream."""
    return "".join(f"---\n{dump_yaml(o)}" for o in objects)


def render_values(values: JSON, engine: Engine = "helm", namespace: str = "default") -> list[JSON]:
    """Objects for compiled values; the release namespace stands in when values name none."""
    if not is_dns_label(namespace):
        raise UsageError(
            f"namespace {quote(namespace)} is not a DNS-1123 label; expected at most 63 "
            "lowercase letters, digits and '-', starting and ending with a letter or digit"
        )
    if engine == "helm":
        from .render_helm import render_helm

        return sort_objects(render_helm(values, namespace))
    from .render_jsonnet import render_jsonnet

    return sort_objects(render_jsonnet(values, namespace))
