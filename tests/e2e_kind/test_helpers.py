"""Unit tests of the kind tier's pure helpers; they run in `make test`, no cluster needed."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from infergraph.api import compile_values
from infergraph.checks import check_objects
from infergraph.checks.gpu import tolerates_gpu_taint
from infergraph.defaults import GPU_RESOURCE
from infergraph.helm_values import helm_values
from infergraph.loading import load
from infergraph.render_helm import CHART_DIR, helm_executable, render_helm
from infergraph_server.metrics import Metrics, render_metrics
from tests.local_examples import runs_on_the_default_image

from .graphs import EXAMPLES
from .images import (
    UPGRADE_SUFFIX,
    image_override,
    image_tag,
    server_image,
    server_version,
    upgraded_image,
)
from .kindconfig import (
    GPU_CAPACITY,
    GPU_LABEL,
    GPU_TAINT,
    MODELS_NODE_PATH,
    gpu_capacity_patch,
    json_pointer,
    kind_config,
)
from .objects import (
    GATEWAY_RELEASE,
    MODELS,
    MODELS_CLAIM,
    gpu_hog_pod,
    istio_gateway,
    models_objects,
    namespace,
)
from .observe import (
    graph_selectors,
    job_outcome,
    pod_ready,
    requests_served,
    unschedulable_message,
)
from .stats import false_alarm_rate, split_problems

REPO = Path(__file__).resolve().parents[2]
SERVING = ["sklearn-single", "canary-75-25", "shadow", "ensemble", "bandit", "gpu-model"]


def _values(example: str) -> dict[str, Any]:
    values: dict[str, Any] = helm_values(compile_values(load(EXAMPLES / f"{example}.yaml")))
    return values


def _workloads(values: dict[str, Any]) -> list[dict[str, Any]]:
    predictors = [p for p in values["predictors"].values() if p is not None]
    nodes = [n for p in predictors for n in p["nodes"].values() if n is not None]
    return [p["orchestrator"] for p in predictors] + nodes


# kind config and the GPU node


def test_kind_config_mounts_models_on_workers_and_taints_the_gpu_worker(tmp_path: Path) -> None:
    config = kind_config(tmp_path)
    roles = [n["role"] for n in config["nodes"]]
    assert config["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert roles == ["control-plane", "worker", "worker"]
    workers = config["nodes"][1:]
    mount = {"hostPath": str(tmp_path), "containerPath": MODELS_NODE_PATH}
    assert all(w["extraMounts"] == [mount] for w in workers)
    plain, gpu = workers
    assert "labels" not in plain and "kubeadmConfigPatches" not in plain
    assert gpu["labels"] == {GPU_LABEL: "true"}
    (patch,) = (yaml.safe_load(p) for p in gpu["kubeadmConfigPatches"])
    assert patch == {"kind": "JoinConfiguration", "nodeRegistration": {"taints": [GPU_TAINT]}}


def test_kind_config_wants_an_absolute_models_directory() -> None:
    with pytest.raises(ValueError, match="absolute"):
        kind_config(Path("build/models"))


def test_the_gpu_example_tolerates_the_gpu_workers_taint() -> None:
    node = _values("gpu-model")["predictors"]["main"]["nodes"]["classifier"]
    assert (GPU_TAINT["key"], GPU_TAINT["effect"]) == (GPU_RESOURCE, "NoSchedule")
    assert tolerates_gpu_taint(node["tolerations"])
    assert int(node["container"]["resources"]["limits"][GPU_RESOURCE]) <= GPU_CAPACITY


def test_gpu_capacity_patch_escapes_the_slash_of_the_resource_name() -> None:
    (op,) = gpu_capacity_patch(3)
    assert op == {"op": "add", "path": "/status/capacity/nvidia.com~1gpu", "value": "3"}
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in op["path"].split("/")[1:]]
    assert tokens == ["status", "capacity", GPU_RESOURCE]
    assert json_pointer("a~b", "c/d") == "/a~0b/c~1d"
    with pytest.raises(ValueError, match="at least 1"):
        gpu_capacity_patch(0)


# the A/B split statistics


def _split(p_main: float, n: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    main = sum(rng.random() < p_main for _ in range(n))
    return {"main": main, "canary": n - main}


def test_a_correct_75_25_split_passes() -> None:
    for seed in range(20):
        assert split_problems(_split(0.75, 1000, seed), {"main": 75, "canary": 25}, 5) == []


def test_a_65_35_split_fails_naming_both_predictors() -> None:
    problems = split_problems(_split(0.65, 1000, 3), {"main": 75, "canary": 25}, 5)
    assert [p.split(":")[0] for p in problems] == ["canary", "main"], problems
    assert "expected 75.0% ± 5 points" in problems[1]


def test_requests_to_an_unweighted_predictor_are_a_problem() -> None:
    problems = split_problems({"main": 900, "stray": 100}, {"main": 100}, 5)
    assert problems == [
        "main: 90.0% of 1000 requests, expected 100.0% ± 5 points",
        "stray: 10.0% of 1000 requests, expected 0.0% ± 5 points",
    ]


def test_split_check_refuses_empty_counts_and_weights() -> None:
    with pytest.raises(ValueError, match="no requests"):
        split_problems({"main": 0}, {"main": 1}, 5)
    with pytest.raises(ValueError, match="weights"):
        split_problems({"main": 1}, {"main": 0}, 5)


def test_the_5_point_band_at_1000_requests_rarely_fails_a_correct_split() -> None:
    rate = false_alarm_rate(1000, 0.75, 5)
    assert 2e-4 < rate < 3e-4
    # the normal approximation against 400,000 seeded binomial draws: about 100 misses expected
    draws = np.random.default_rng(7).binomial(1000, 0.75, size=400_000)
    observed = float(np.mean(np.abs(draws - 750) > 50))
    assert rate / 2 < observed < rate * 2, (observed, rate)
    assert false_alarm_rate(100, 0.75, 5) > 0.2, "why 1,000 requests and not 100"


# image tags


def test_the_built_image_is_the_one_the_compiler_writes() -> None:
    images = {w["container"]["image"] for w in _workloads(_values("sklearn-single"))}
    assert images == {server_image()}
    assert server_image().endswith(":" + server_version())


def test_image_tag_rules() -> None:
    assert image_tag("1.2.0+cu121") == "1.2.0-cu121"
    with pytest.raises(ValueError, match="valid image tag"):
        image_tag("-1.0")
    with pytest.raises(ValueError, match="valid image tag"):
        image_tag("1" * 129)


def test_upgraded_image_changes_only_the_tag() -> None:
    image = "localhost:5000/team/server:0.1.0"
    assert upgraded_image(image) == f"localhost:5000/team/server:0.1.0{UPGRADE_SUFFIX}"
    for untagged in ("localhost:5000/team/server", "server"):
        with pytest.raises(ValueError, match="no tag"):
            upgraded_image(untagged)


@pytest.mark.parametrize("example", ["sklearn-single", "ensemble", "canary-75-25"])
def test_image_override_changes_every_workload_image_and_nothing_else(
    example: str, tmp_path: Path
) -> None:
    values = _values(example)
    new = upgraded_image(server_image())
    base, override = tmp_path / "values.yaml", tmp_path / "override.yaml"
    base.write_text(yaml.safe_dump(values))
    override.write_text(yaml.safe_dump(image_override(values, new)))
    template = [helm_executable(), "template", values["name"], str(CHART_DIR), "-f", str(base)]
    before = subprocess.run(template, capture_output=True, text=True, check=True).stdout
    after = subprocess.run(
        [*template, "-f", str(override)], capture_output=True, text=True, check=True
    ).stdout
    deployments = [o for o in yaml.safe_load_all(after) if o and o["kind"] == "Deployment"]
    assert len(deployments) == len(_workloads(values))
    pods = [d["spec"]["template"]["spec"] for d in deployments]
    assert {c["image"] for pod in pods for c in pod["containers"]} == {new}
    assert after.replace(new, server_image()) == before


# objects the suite applies


def test_suite_objects_are_valid_and_meet_the_restricted_profile() -> None:
    objects = [namespace(), *models_objects("print('train')", server_image()), istio_gateway(),
               gpu_hog_pod("gpu-hog", server_image(), GPU_CAPACITY + 1)]  # fmt: skip
    assert check_objects(objects) == []


def test_the_models_claim_holds_every_model_the_examples_use() -> None:
    served = [p for p in EXAMPLES.glob("*.yaml") if runs_on_the_default_image(p)]
    uris = re.findall(r"modelUri: pvc://([^/\s]+)/(\S+)", "".join(
        p.read_text() for p in served))  # fmt: skip
    assert uris and {claim for claim, _ in uris} == {MODELS_CLAIM}
    assert {model for _, model in uris} <= set(MODELS)
    volumes = [v for w in _workloads(_values("ensemble")) for v in w["volumes"]]
    claims = {
        v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v
    }
    assert claims == {MODELS_CLAIM}
    by_kind = {o["kind"]: o for o in models_objects("x = 1", server_image())}
    assert by_kind["PersistentVolume"]["spec"]["hostPath"]["path"] == MODELS_NODE_PATH
    assert by_kind["PersistentVolumeClaim"]["metadata"]["name"] == MODELS_CLAIM
    (container,) = by_kind["Job"]["spec"]["template"]["spec"]["containers"]
    assert container["command"][3:] == list(MODELS)
    compile(container["command"][2], "<train job>", "exec")


def test_the_gateway_is_the_one_values_name_and_selects_the_gateway_chart_pods() -> None:
    gateway = istio_gateway()
    meta = gateway["metadata"]
    assert [f"{meta['namespace']}/{meta['name']}"] == _values("sklearn-single")["istio"]["gateways"]
    # the istio/gateway chart labels its pods istio=<release name without "istio-">
    assert gateway["spec"]["selector"] == {"istio": GATEWAY_RELEASE.removeprefix("istio-")}


# reading cluster state


def _with(kind: str, status: str, **extra: str) -> dict[str, Any]:
    return {"status": {"conditions": [{"type": kind, "status": status, **extra}]}}


def test_job_outcome() -> None:
    assert job_outcome({"status": {}}) is None
    assert job_outcome(_with("Complete", "True")) == "complete"
    assert job_outcome(_with("Failed", "True")) == "failed"
    assert job_outcome(_with("Complete", "False")) is None


def test_pod_ready_and_unschedulable_message() -> None:
    assert pod_ready(_with("Ready", "True")) and not pod_ready(_with("Ready", "False"))
    message = "0/3 nodes are available: 1 Insufficient nvidia.com/gpu."
    pending = _with("PodScheduled", "False", reason="Unschedulable", message=message)
    assert unschedulable_message(pending) == message
    assert unschedulable_message(_with("PodScheduled", "True")) is None
    assert unschedulable_message({"status": {"phase": "Pending"}}) is None


def test_requests_served_reads_the_servers_own_metrics() -> None:
    metrics = Metrics("orchestrator")
    before = requests_served(render_metrics().decode(), "predictions")
    for code in (200, 200, 200, 503):
        metrics.observe("predictions", code, 0.001)
    text = render_metrics().decode()
    assert requests_served(text, "predictions") == before + 3
    assert requests_served(text, "predictions", code="503") >= 1


@pytest.mark.parametrize("example", SERVING)
def test_graph_selectors_find_every_object_helm_renders(example: str) -> None:
    values = _values(example)
    selectors = [dict([s.split("=")]) for s in graph_selectors(values)]
    assert len(selectors) == 2
    for obj in render_helm(compile_values(load(EXAMPLES / f"{example}.yaml")), "x"):
        labels = obj["metadata"].get("labels", {})
        assert any(s.items() <= labels.items() for s in selectors), obj["metadata"]
