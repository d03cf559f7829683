"""Validate Istio, Gateway API, prometheus-operator and KEDA objects against their CRD schemas,
closed.

A cluster prunes unknown fields of custom resources silently, so a misspelt `mirorPercentage`
would vanish without an error. We close every described object node of `spec`
(`additionalProperties: false`) so that such a field fails here instead. The object's
`metadata` is checked with the Kubernetes ObjectMeta schema; nothing else may sit at the top.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from infergraph.checks.k8s_schema import KUBERNETES_VERSION, OBJECT_META_REF, definitions_registry
from infergraph.checks.paths import REPO_ROOT
from infergraph.checks.problem import Obj, ObjectProblem
from infergraph.checks.schema_errors import schema_problems
from infergraph.pointers import quote

__all__ = [
    "CRD_FILES",
    "SCHEMA_DIR_ENV",
    "check_crd_schema",
    "close_objects",
    "crd_validator",
    "default_schema_dir",
    "is_custom_resource",
]

#: Environment variable naming another folder with the layout of `schemas/thirdparty`.
SCHEMA_DIR_ENV = "INFERGRAPH_THIRDPARTY_SCHEMAS"

#: (apiVersion, kind) → schema file under the schema folder.
CRD_FILES: Mapping[tuple[str, str], str] = {
    (
        "networking.istio.io/v1",
        "VirtualService",
    ): "istio/virtualservice-networking.istio.io-v1.json",
    ("networking.istio.io/v1", "DestinationRule"): (
        "istio/destinationrule-networking.istio.io-v1.json"
    ),
    ("networking.istio.io/v1", "Gateway"): "istio/gateway-networking.istio.io-v1.json",
    ("security.istio.io/v1", "PeerAuthentication"): (
        "istio/peerauthentication-security.istio.io-v1.json"
    ),
    ("security.istio.io/v1", "AuthorizationPolicy"): (
        "istio/authorizationpolicy-security.istio.io-v1.json"
    ),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): (
        "gateway-api/httproute-gateway.networking.k8s.io-v1.json"
    ),
    ("gateway.networking.k8s.io/v1", "GRPCRoute"): (
        "gateway-api/grpcroute-gateway.networking.k8s.io-v1.json"
    ),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): (
        "prometheus-operator/servicemonitor-monitoring.coreos.com-v1.json"
    ),
    ("keda.sh/v1alpha1", "ScaledObject"): "keda/scaledobject-keda.sh-v1alpha1.json",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): (
        "keda/triggerauthentication-keda.sh-v1alpha1.json"
    ),
}
_GROUPS = frozenset(api_version.split("/")[0] for api_version, _ in CRD_FILES)


def default_schema_dir() -> Path:
    """`$INFERGRAPH_THIRDPARTY_SCHEMAS`, else the copy in the repository's `schemas/thirdparty`."""
    configured = os.environ.get(SCHEMA_DIR_ENV)
    if configured:
        return Path(configured)
    return REPO_ROOT / "schemas" / "thirdparty"


def is_custom_resource(obj: Obj) -> bool:
    """True for objects of the API groups whose CRD schemas we hold (checked here, not by k8s)."""
    api_version = obj.get("apiVersion")
    return isinstance(api_version, str) and api_version.split("/")[0] in _GROUPS


def close_objects(schema: Any) -> Any:
    """A copy of `schema` where every object node that lists `properties` rejects others.

    Nodes that already say what else they accept (`additionalProperties`) or that keep unknown
    fields on purpose (`x-kubernetes-preserve-unknown-fields`) are left open.
    """
    if isinstance(schema, list):
        return [close_objects(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {key: close_objects(value) for key, value in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        closed["additionalProperties"] = False
    return closed


@functools.cache
def crd_validator(
    api_version: str, kind: str, schema_dir: Path, version: str = KUBERNETES_VERSION
) -> Draft202012Validator | None:
    """The validator of a whole custom object, or None when we hold no schema for it."""
    name = CRD_FILES.get((api_version, kind))
    if name is None:
        return None
    file = schema_dir / name
    try:
        crd = json.loads(file.read_text())
    except OSError as error:
        raise FileNotFoundError(
            f"{file}: CRD schema not readable ({error.strerror}); "
            f"point {SCHEMA_DIR_ENV} at a folder laid out like schemas/thirdparty"
        ) from error
    root = {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": api_version},
            "kind": {"const": kind},
            "metadata": {"$ref": OBJECT_META_REF},
            "spec": close_objects(crd["properties"]["spec"]),
        },
        "additionalProperties": False,
    }
    return Draft202012Validator(root, registry=definitions_registry(version))


def check_crd_schema(
    obj: Obj, schema_dir: Path | None = None, version: str = KUBERNETES_VERSION
) -> Iterator[ObjectProblem]:
    """Problems of an Istio, Gateway API, ServiceMonitor or KEDA object against its closed CRD
    schema."""
    api_version, kind = str(obj.get("apiVersion")), str(obj.get("kind"))
    validator = crd_validator(api_version, kind, schema_dir or default_schema_dir(), version)
    if validator is None:
        group = api_version.split("/")[0]
        known = ", ".join(f"{a} {k}" for a, k in CRD_FILES if a.split("/")[0] == group)
        reason = f"no schema for {quote(api_version)} {quote(kind)}; known: {known}"
        yield ObjectProblem.at(obj, ["kind"], reason)
        return
    yield from schema_problems(obj, validator, obj, [])
