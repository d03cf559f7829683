"""The pod-spec fields `--runtime containers` implements, as an explicit allow-list.

Every rendered Deployment (and the `helm test` Pod) is walked against this table before
anything starts: a field the runner does not implement is an error naming the field and the
object, so the chart cannot outgrow the runner unnoticed. Values of allowed fields are checked
by the planner (plan.py), which knows what each one means.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..pointers import JSON, pointer, quote

__all__ = ["DEPLOYMENT", "POD", "TEST_POD", "Fields", "ListOf", "unimplemented"]


@dataclass(frozen=True)
class Fields:
    """An object whose keys are listed; `None` marks a leaf (any scalar or list of scalars)."""

    keys: Mapping[str, Fields | ListOf | None]
    free: bool = False  # keys are data (labels, resource names): any key, leaf values


@dataclass(frozen=True)
class ListOf:
    """A list whose items follow `item`."""

    item: Fields


_FREE = Fields({}, free=True)
_HTTP_GET = Fields(
    {
        "path": None,
        "port": None,
        "scheme": None,
        "httpHeaders": ListOf(Fields({"name": None, "value": None})),
    }
)
_HANDLER = Fields(
    {"httpGet": _HTTP_GET, "tcpSocket": Fields({"port": None}), "exec": Fields({"command": None})}
)
_PROBE = Fields(
    {
        **_HANDLER.keys,
        "initialDelaySeconds": None,
        "periodSeconds": None,
        "timeoutSeconds": None,
        "successThreshold": None,
        "failureThreshold": None,
    }
)
_SECCOMP = Fields({"type": None})
_CONTAINER_SECURITY = Fields(
    {
        "allowPrivilegeEscalation": None,
        "capabilities": Fields({"add": None, "drop": None}),
        "privileged": None,
        "readOnlyRootFilesystem": None,
        "runAsGroup": None,
        "runAsNonRoot": None,
        "runAsUser": None,
        "seccompProfile": _SECCOMP,
    }
)
_ENV = Fields(
    {
        "name": None,
        "value": None,
        "valueFrom": Fields(
            {
                "fieldRef": Fields({"fieldPath": None, "apiVersion": None}),
                "configMapKeyRef": Fields({"name": None, "key": None, "optional": None}),
            }
        ),
    }
)
_CONTAINER = Fields(
    {
        "name": None,
        "image": None,
        "imagePullPolicy": None,
        "command": None,
        "args": None,
        "workingDir": None,
        "env": ListOf(_ENV),
        "ports": ListOf(Fields({"containerPort": None, "name": None, "protocol": None})),
        "resources": Fields({"limits": _FREE, "requests": _FREE}),
        "securityContext": _CONTAINER_SECURITY,
        "volumeMounts": ListOf(Fields({"name": None, "mountPath": None, "readOnly": None})),
        "startupProbe": _PROBE,
        "readinessProbe": _PROBE,
        "livenessProbe": _PROBE,
        "lifecycle": Fields(
            {"preStop": Fields({**_HANDLER.keys, "sleep": Fields({"seconds": None})})}
        ),
    }
)
_VOLUME = Fields(
    {
        "name": None,
        "emptyDir": Fields({"medium": None, "sizeLimit": None}),
        "configMap": Fields(
            {
                "name": None,
                "items": ListOf(Fields({"key": None, "path": None})),
                "defaultMode": None,
                "optional": None,
            }
        ),
        "persistentVolumeClaim": Fields({"claimName": None, "readOnly": None}),
    }
)
_POD_KEYS: Mapping[str, Fields | ListOf | None] = {
    "containers": ListOf(_CONTAINER),
    "initContainers": ListOf(_CONTAINER),
    "volumes": ListOf(_VOLUME),
    "securityContext": Fields(
        {
            "fsGroup": None,
            "runAsGroup": None,
            "runAsNonRoot": None,
            "runAsUser": None,
            "seccompProfile": _SECCOMP,
            "supplementalGroups": None,
        }
    ),
    "serviceAccountName": None,  # an identity without an API server: nothing to do
    "automountServiceAccountToken": None,  # only false is accepted (plan.py)
    "terminationGracePeriodSeconds": None,
    # One machine tolerates every taint: tolerations never constrain where a pod runs here.
    "tolerations": ListOf(
        Fields(
            {
                "key": None,
                "operator": None,
                "value": None,
                "effect": None,
                "tolerationSeconds": None,
            }
        )
    ),
    "restartPolicy": None,
}
POD = Fields(_POD_KEYS)
_METADATA = Fields({"labels": _FREE, "annotations": _FREE})
#: A Deployment: replicas become that many pods; the rollout strategy has nothing to roll.
DEPLOYMENT = Fields(
    {
        "replicas": None,
        "selector": Fields({"matchLabels": _FREE}),
        "strategy": Fields(
            {"type": None, "rollingUpdate": Fields({"maxSurge": None, "maxUnavailable": None})}
        ),
        "template": Fields({"metadata": _METADATA, "spec": POD}),
    }
)
#: The `helm test` Pod's spec.
TEST_POD = POD


def _names(spec: Fields) -> str:
    return ", ".join(sorted(spec.keys))


def unimplemented(value: JSON, spec: Fields | ListOf | None, where: list[str | int]) -> list[str]:
    """Messages `/pointer: ...` for every field of `value` outside `spec`, in document order."""
    if spec is None:
        if isinstance(value, dict):
            return [f"{pointer(where)}: {quote(value)}: an object where a value is expected"]
        return []
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{pointer(where)}: {quote(value)}: expected a list"]
        return [
            m for i, item in enumerate(value) for m in unimplemented(item, spec.item, [*where, i])
        ]
    if not isinstance(value, dict):
        return [f"{pointer(where)}: {quote(value)}: expected an object"]
    if spec.free:
        return []
    found: list[str] = []
    for key, item in value.items():
        if key not in spec.keys:
            found.append(
                f"{pointer([*where, key])}: not implemented by --runtime containers; "
                f"implemented here: {_names(spec)}"
            )
        else:
            found.extend(unimplemented(item, spec.keys[key], [*where, key]))
    return found
