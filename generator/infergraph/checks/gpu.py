"""GPU rules the OpenAPI schema cannot express.

A Quantity such as "0.5" is schema-valid, but the device plugin hands out whole devices: the
API server rejects a fractional `nvidia.com/gpu`, requests that differ from limits, or requests
without limits; and GPU nodes are tainted, so a GPU pod without the toleration never schedules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from infergraph.checks.pods import as_list, as_map, containers, pod_specs
from infergraph.checks.problem import Obj, ObjectProblem
from infergraph.defaults import GPU_RESOURCE
from infergraph.pointers import quote

__all__ = ["GPU_RESOURCE", "check_gpu", "tolerates_gpu_taint"]

_WHOLE = re.compile(r"[1-9][0-9]*")


def _is_whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 1
    return isinstance(value, str) and _WHOLE.fullmatch(value) is not None


def tolerates_gpu_taint(tolerations: Any) -> bool:
    """True when one toleration admits the `nvidia.com/gpu:NoSchedule` taint (any value)."""
    for toleration in map(as_map, as_list(tolerations)):
        if toleration.get("operator") != "Exists":
            continue
        if toleration.get("key") in (None, "", GPU_RESOURCE) and toleration.get("effect") in (
            None,
            "",
            "NoSchedule",
        ):
            return True
    return False


def check_gpu(obj: Obj) -> Iterator[ObjectProblem]:
    """Whole, consistent GPU counts per container, and the GPU toleration on their pod."""
    for spec_path, spec in pod_specs(obj):
        uses_gpu = False
        for path, container in containers(spec_path, spec):
            resources = as_map(container.get("resources"))
            limit = as_map(resources.get("limits")).get(GPU_RESOURCE)
            request = as_map(resources.get("requests")).get(GPU_RESOURCE)
            uses_gpu = uses_gpu or limit is not None
            for field, reason in _count_rules(limit, request):
                yield ObjectProblem.at(obj, [*path, "resources", field, GPU_RESOURCE], reason)
        if uses_gpu and not tolerates_gpu_taint(spec.get("tolerations")):
            yield ObjectProblem.at(
                obj,
                [*spec_path, "tolerations"],
                f"pod uses {GPU_RESOURCE} but does not tolerate the taint; add "
                f"{{key: {GPU_RESOURCE}, operator: Exists, effect: NoSchedule}}",
            )


def _count_rules(limit: Any, request: Any) -> Iterator[tuple[str, str]]:
    """(resources field, reason) for one container's GPU limit and request."""
    if limit is not None and not _is_whole(limit):
        yield "limits", f"{quote(limit)} is not a whole number; GPUs are counted in whole devices"
    if request is None:
        return
    if limit is None:
        yield "requests", f"GPU requested without a limit; set limits.{GPU_RESOURCE} instead"
    elif str(request) != str(limit):
        reason = f"{quote(request)} differs from the limit {quote(limit)}; they must be equal"
        yield "requests", reason
