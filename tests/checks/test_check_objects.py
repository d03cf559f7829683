"""check_objects: the composed entry point, its report format and its speed."""

from __future__ import annotations

import copy
from typing import Any

from infergraph.checks import ObjectProblem, check_objects
from infergraph.pointers import pointer


def test_good_objects_pass(good: dict[str, dict[str, Any]]) -> None:
    assert len(good) >= 7
    assert check_objects(list(good.values())) == []


def test_problem_text_names_object_path_and_reason(good: dict[str, dict[str, Any]]) -> None:
    deployment = good["Deployment"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"nvidia.com/gpu": "0.5"}}
    assert [str(p) for p in check_objects([deployment])] == [
        "Deployment/iris-main-clf: /spec/template/spec/containers/0/resources/limits/"
        'nvidia.com~1gpu: "0.5" is not a whole number; GPUs are counted in whole devices'
    ]


def test_problems_come_per_object_in_input_order(good: dict[str, dict[str, Any]]) -> None:
    service, virtual_service = good["Service"], good["VirtualService"]
    service["spec"]["tpye"] = "ClusterIP"
    virtual_service["spec"]["hots"] = ["*"]
    problems = check_objects([virtual_service, "not an object", service])
    assert [(p.kind, p.path) for p in problems] == [
        ("VirtualService", "/spec/hots"),
        ("?", ""),
        ("Service", "/spec/tpye"),
    ]
    assert problems[1] == ObjectProblem("?", "#1", "", "not a Kubernetes object (a mapping)")


def test_pointer_escapes_tilde_and_slash() -> None:
    assert pointer(["metadata", "annotations", "a/b~c", 0]) == "/metadata/annotations/a~1b~0c/0"
    assert pointer([]) == ""


def test_thirty_good_objects_check_clean_twice(good: dict[str, dict[str, Any]]) -> None:
    """The second call reads the cached schemas; its cost is printed by bench/bench_render.py."""
    objects = [copy.deepcopy(obj) for _ in range(5) for obj in good.values()][:30]
    assert check_objects(objects) == []
    assert check_objects(objects) == []
