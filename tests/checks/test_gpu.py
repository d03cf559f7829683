"""GPU rules: whole devices, requests equal to limits, the GPU taint tolerated."""

from __future__ import annotations

from typing import Any

import pytest

from infergraph.checks.gpu import check_gpu, tolerates_gpu_taint

CONTAINER = "/spec/template/spec/containers/0/resources"


def gpu_problems(obj: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.path, p.reason) for p in check_gpu(obj)]


def set_gpu(deployment: dict[str, Any], limit: Any, request: Any = None) -> None:
    resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    resources["limits"]["nvidia.com/gpu"] = limit
    if request is None:
        resources["requests"].pop("nvidia.com/gpu")
    else:
        resources["requests"]["nvidia.com/gpu"] = request


def test_good_gpu_deployment_passes(good: dict[str, dict[str, Any]]) -> None:
    assert gpu_problems(good["Deployment"]) == []


@pytest.mark.parametrize("limit", ["0.5", 0.5, 0, "0", "500m", -1, True, "2Gi"])
def test_gpu_limit_must_be_whole_and_positive(good: dict[str, dict[str, Any]], limit: Any) -> None:
    set_gpu(good["Deployment"], limit)
    [(path, reason)] = gpu_problems(good["Deployment"])
    assert path == f"{CONTAINER}/limits/nvidia.com~1gpu"
    assert reason.endswith("is not a whole number; GPUs are counted in whole devices")


@pytest.mark.parametrize("limit", [1, 2, "4"])
def test_whole_gpu_limits_pass(good: dict[str, dict[str, Any]], limit: Any) -> None:
    set_gpu(good["Deployment"], limit)
    assert gpu_problems(good["Deployment"]) == []


def test_request_must_equal_limit(good: dict[str, dict[str, Any]]) -> None:
    set_gpu(good["Deployment"], 2, 1)
    assert gpu_problems(good["Deployment"]) == [
        (
            f"{CONTAINER}/requests/nvidia.com~1gpu",
            "1 differs from the limit 2; they must be equal",
        )
    ]
    set_gpu(good["Deployment"], "1", 1)
    assert gpu_problems(good["Deployment"]) == []


def test_request_without_limit_fails(good: dict[str, dict[str, Any]]) -> None:
    resources = good["Deployment"]["spec"]["template"]["spec"]["containers"][0]["resources"]
    del resources["limits"]["nvidia.com/gpu"]
    [(path, reason)] = gpu_problems(good["Deployment"])
    assert path == f"{CONTAINER}/requests/nvidia.com~1gpu"
    assert reason.startswith("GPU requested without a limit")


def test_gpu_pod_needs_the_toleration(good: dict[str, dict[str, Any]]) -> None:
    good["Deployment"]["spec"]["template"]["spec"]["tolerations"] = [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}
    ]
    [(path, reason)] = gpu_problems(good["Deployment"])
    assert path == "/spec/template/spec/tolerations"
    assert "does not tolerate the taint" in reason


def test_gpu_in_an_init_container_counts_too(good: dict[str, dict[str, Any]]) -> None:
    spec = good["Deployment"]["spec"]["template"]["spec"]
    spec["containers"][0]["resources"] = {}
    spec["initContainers"][0]["resources"]["limits"]["nvidia.com/gpu"] = 0.25
    del spec["tolerations"]
    assert [path for path, _ in gpu_problems(good["Deployment"])] == [
        "/spec/template/spec/initContainers/0/resources/limits/nvidia.com~1gpu",
        "/spec/template/spec/tolerations",
    ]


def test_cpu_pod_needs_no_toleration(good: dict[str, dict[str, Any]]) -> None:
    assert "tolerations" not in good["Pod"]["spec"]
    assert gpu_problems(good["Pod"]) == []


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        ([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}], True),
        ([{"key": "nvidia.com/gpu", "operator": "Exists"}], True),
        ([{"operator": "Exists"}], True),
        (
            [{"key": "nvidia.com/gpu", "operator": "Equal", "value": "x", "effect": "NoSchedule"}],
            False,
        ),
        ([{"key": "other", "operator": "Exists", "effect": "NoSchedule"}], False),
        (None, False),
    ],
)
def test_which_tolerations_admit_the_gpu_taint(tolerations: Any, expected: bool) -> None:
    assert tolerates_gpu_taint(tolerations) is expected
