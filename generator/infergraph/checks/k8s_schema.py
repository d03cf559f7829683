"""Strict Kubernetes OpenAPI validation with the schemas `kubernetes-validate` ships.

We validate against the oldest Kubernetes we support, so a field that only newer clusters know
fails here. kubernetes-validate's own `validate()` re-reads and re-crawls the 1.3 MB definitions
file on every call (~30 ms per Deployment); loading them once into a crawled registry and
caching one validator per kind brings a Deployment to well under a millisecond.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from infergraph.checks.problem import Obj, ObjectProblem
from infergraph.checks.schema_errors import schema_problems
from infergraph.pointers import quote

__all__ = [
    "KUBERNETES_VERSION",
    "OBJECT_META_REF",
    "check_kubernetes_schema",
    "definitions_registry",
    "kubernetes_validator",
]

#: The Kubernetes version rendered objects must be valid for (the oldest we support).
KUBERNETES_VERSION = "1.30"

_DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
#: Reference to ObjectMeta in the registry, for schemas of our own (CRD objects' metadata).
OBJECT_META_REF = f"{_DEFINITIONS_URI}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _schema_dir(version: str) -> Traversable:
    root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    folder = root / f"v{version}.0-local-strict"
    if not folder.is_dir():
        shipped = sorted(p.name.split("-")[0] for p in root.iterdir() if p.name.endswith("strict"))
        raise ValueError(
            f"Kubernetes version {quote(version)} is not shipped by kubernetes-validate; "
            f"shipped: {', '.join(shipped)}"
        )
    return folder


@functools.cache
def definitions_registry(version: str = KUBERNETES_VERSION) -> Registry:
    """The strict definitions of `version`, crawled once so that lookups are cheap."""
    definitions = json.loads((_schema_dir(version) / "_definitions.json").read_text())
    resource = Resource.from_contents(definitions)
    registry: Registry = Registry().with_resource(_DEFINITIONS_URI, resource)
    return registry.crawl()


@functools.cache
def kubernetes_validator(
    api_version: str, kind: str, version: str = KUBERNETES_VERSION
) -> Draft202012Validator | None:
    """The strict validator of one kind, or None when Kubernetes has no such kind."""
    # kubernetes-validate names files <kind>-<group without domain>-<version>.json.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    file = _schema_dir(version) / f"{kind.lower()}-{group_version}.json"
    if not file.is_file():
        return None
    schema = json.loads(file.read_text())
    return Draft202012Validator(schema, registry=definitions_registry(version))


def check_kubernetes_schema(obj: Obj, version: str = KUBERNETES_VERSION) -> Iterator[ObjectProblem]:
    """Problems of a built-in Kubernetes object against the strict OpenAPI schema."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        yield ObjectProblem.at(obj, [], "apiVersion and kind must be strings")
        return
    validator = kubernetes_validator(api_version, kind, version)
    if validator is None:
        reason = f"Kubernetes {version} has no kind {quote(kind)} in {quote(api_version)}"
        yield ObjectProblem.at(obj, ["kind"], reason)
        return
    yield from schema_problems(obj, validator, obj, [])
