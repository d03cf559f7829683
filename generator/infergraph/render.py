"""Render compiled values into Kubernetes objects with either engine, in one stable order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from .output import dump_yaml
from .pointers import JSON

__all__ = ["KIND_ORDER", "Engine", "object_filename", "render_values", "sort_objects", "to_yaml"]

Engine = Literal["helm", "jsonnet"]
KIND_ORDER = (
    "ServiceAccount",
    "ConfigMap",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "DestinationRule",
    "VirtualService",
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


def to_yaml(objects: Sequence[JSON]) -> str:
    """One multi-document YAML stream."""
    return "".join(f"---\n{dump_yaml(o)}" for o in objects)


def render_values(values: JSON, engine: Engine = "helm", namespace: str = "default") -> list[JSON]:
    """Objects for compiled values; the release namespace stands in when values name none."""
    if engine == "helm":
        from .render_helm import render_helm

        return sort_objects(render_helm(values, namespace))
    from .render_jsonnet import render_jsonnet

    return sort_objects(render_jsonnet(values, namespace))
