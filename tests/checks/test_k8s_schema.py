"""Strict Kubernetes schema validation of built-in kinds."""

from __future__ import annotations

from typing import Any

import pytest

from infergraph.checks.k8s_schema import KUBERNETES_VERSION, check_kubernetes_schema


def paths(obj: dict[str, Any], version: str = KUBERNETES_VERSION) -> list[tuple[str, str]]:
    return [(p.path, p.reason) for p in check_kubernetes_schema(obj, version)]


def test_good_builtin_objects_pass(good: dict[str, dict[str, Any]]) -> None:
    for kind in ("Deployment", "Service", "Pod"):
        assert paths(good[kind]) == [], kind


def test_misspelt_container_field_fails_at_the_field(good: dict[str, dict[str, Any]]) -> None:
    deployment = good["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbes"] = container.pop("readinessProbe")
    assert paths(deployment) == [
        (
            "/spec/template/spec/containers/0/readinessProbes",
            'unknown field "readinessProbes"; did you mean "readinessProbe"?',
        )
    ]


def test_unknown_top_level_field_fails(good: dict[str, dict[str, Any]]) -> None:
    good["Service"]["sepc"] = good["Service"].pop("spec")
    assert ("/sepc", 'unknown field "sepc"; did you mean "spec"?') in paths(good["Service"])


def test_wrong_type_and_missing_field(good: dict[str, dict[str, Any]]) -> None:
    deployment = good["Deployment"]
    deployment["spec"]["replicas"] = "1"
    del deployment["spec"]["selector"]
    assert paths(deployment) == [
        ("/spec/replicas", '"1" is not of type integer or null'),
        ("/spec/selector", "required field is missing"),
    ]


def test_label_values_must_be_strings(good: dict[str, dict[str, Any]]) -> None:
    good["Service"]["metadata"]["labels"]["infergraph.io/version"] = 2
    assert paths(good["Service"]) == [
        ("/metadata/labels/infergraph.io~1version", "2 is not of type string or null")
    ]


def test_field_newer_than_the_pinned_version_fails(good: dict[str, dict[str, Any]]) -> None:
    """Pod-level resources arrived in Kubernetes 1.32; our 1.30 floor must reject them."""
    pod = good["Pod"]
    pod["spec"]["resources"] = {"limits": {"cpu": "1"}}
    assert paths(pod, "1.32") == []
    assert [path for path, _ in paths(pod)] == ["/spec/resources"]


def test_unknown_kind_or_group_is_a_problem(good: dict[str, dict[str, Any]]) -> None:
    service = good["Service"]
    service["apiVersion"] = "apps/v1"
    assert paths(service) == [("/kind", 'Kubernetes 1.30 has no kind "Service" in "apps/v1"')]


def test_unsupported_version_is_a_clear_error(good: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(ValueError, match=r'version "1\.2" is not shipped by kubernetes-validate'):
        paths(good["Service"], "1.2")
