"""Validity and policy checks of rendered Kubernetes objects.

`check_objects` runs, on every object: strict Kubernetes schema validation (built-in kinds) or
closed CRD schema validation (Istio, Gateway API routes, ServiceMonitor); our GPU rules; the Pod
Security Standards restricted profile. `render --validate` and the golden tests call it; checkov, a
separate tool in its own venv, is driven by `infergraph.checks.checkov` in the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from infergraph.checks.crd_schema import check_crd_schema, is_custom_resource
from infergraph.checks.gpu import check_gpu
from infergraph.checks.k8s_schema import KUBERNETES_VERSION, check_kubernetes_schema
from infergraph.checks.pod_security import check_pod_security
from infergraph.checks.problem import Obj, ObjectProblem

__all__ = ["KUBERNETES_VERSION", "POLICIES", "ObjectProblem", "check_objects"]

#: Checks beyond the schemas, each `(object) -> problems`.
POLICIES: tuple[Callable[[Obj], Iterator[ObjectProblem]], ...] = (check_gpu, check_pod_security)


def check_objects(
    objects: Iterable[Any],
    *,
    kubernetes_version: str = KUBERNETES_VERSION,
    schema_dir: Path | None = None,
) -> list[ObjectProblem]:
    """All problems of `objects`, grouped by object in input order, each sorted by path.

    `schema_dir` holds the third-party CRD schemas (default: `default_schema_dir()`).
    An empty list means every object is valid and meets our policies.
    """
    problems: list[ObjectProblem] = []
    for index, obj in enumerate(objects):
        if not isinstance(obj, Mapping):
            problems.append(
                ObjectProblem("?", f"#{index}", "", "not a Kubernetes object (a mapping)")
            )
            continue
        if is_custom_resource(obj):
            found = set(check_crd_schema(obj, schema_dir, kubernetes_version))
        else:
            found = set(check_kubernetes_schema(obj, kubernetes_version))
        for policy in POLICIES:
            found.update(policy(obj))
        problems.extend(sorted(found, key=lambda p: (p.path, p.reason)))
    return problems
