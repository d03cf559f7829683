"""Graphs serving on the cluster: the examples installed from compiled values and answering
through Istio, the jsonnet path, upgrades under load, helm test, uninstall, and the failure modes.

Most of these need pods that run our image and Istio's data plane (kind); the GPU placement
tests need only the scheduler, and run on the local cluster too (provider.py).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from e2e_kind.client import PREDICT, ROW, Client, Load, post_once, predict_once, wait_until_serving
from e2e_kind.graphs import EXAMPLES, INFERGRAPH, helm_release, leftovers_after, served
from e2e_kind.images import image_override, upgraded_image
from e2e_kind.kindconfig import GPU_CAPACITY
from e2e_kind.kube import CommandFailed, Kube, wait_for
from e2e_kind.objects import NAMESPACE, gpu_hog_pod
from e2e_kind.observe import pod_ready, unschedulable_message
from e2e_kind.stats import split_problems

from infergraph.checks.gpu import tolerates_gpu_taint
from infergraph.defaults import GPU_RESOURCE
from infergraph.render_helm import CHART_DIR

from .conftest import CompileExample
from .provider import Capability

pytestmark = pytest.mark.cluster
THROUGH_ISTIO = pytest.mark.needs(Capability.SERVING, Capability.ISTIO)

MODELS = {"model-a", "model-b", "model-c"}
SINGLE = EXAMPLES / "sklearn-single.yaml"
BROKEN = Path(__file__).parent / "graphs" / "missing-model.yaml"


@THROUGH_ISTIO
def test_single_model_answers_with_probabilities(
    cluster: Kube, gateway: int, compile_example: CompileExample
) -> None:
    with helm_release(cluster, compile_example(SINGLE)) as graph:
        wait_until_serving(gateway, graph.prefix)
        answer = predict_once(gateway, graph.prefix)
    (row,) = answer["data"]["ndarray"]
    assert len(row) == 3 and abs(sum(row) - 1) < 1e-6, row
    assert max(range(3), key=row.__getitem__) == 0, f"ROW is a setosa: {row}"
    assert set(answer["meta"]["requestPath"]) == {"classifier"}, answer["meta"]


@THROUGH_ISTIO
def test_ensemble_calls_every_model_then_the_combiner(
    cluster: Kube, gateway: int, compile_example: CompileExample
) -> None:
    with helm_release(cluster, compile_example(EXAMPLES / "ensemble.yaml")) as graph:
        wait_until_serving(gateway, graph.prefix)
        answer = predict_once(gateway, graph.prefix)
    assert len(answer["data"]["ndarray"]) == 1
    assert set(answer["meta"]["requestPath"]) == {"average"} | MODELS, answer["meta"]


@THROUGH_ISTIO
def test_bandit_routes_to_one_model_and_takes_feedback(
    cluster: Kube, gateway: int, compile_example: CompileExample
) -> None:
    with helm_release(cluster, compile_example(EXAMPLES / "bandit.yaml")) as graph:
        wait_until_serving(gateway, graph.prefix)
        answer = predict_once(gateway, graph.prefix)
        path, routing = set(answer["meta"]["requestPath"]), answer["meta"]["routing"]
        assert "bandit" in path and len(path & MODELS) == 1, answer["meta"]
        assert routing["bandit"] in (0, 1, 2), routing
        feedback = {"request": {"data": {"ndarray": [ROW]}}, "response": answer, "reward": 1.0}
        status, body = post_once(gateway, "/api/v1.0/feedback", feedback, graph.prefix)
    assert status == 200, body[:500]


@THROUGH_ISTIO
def test_canary_75_25_split_of_1000_requests_within_5_points(
    cluster: Kube, gateway: int, compile_example: CompileExample
) -> None:
    with helm_release(cluster, compile_example(EXAMPLES / "canary-75-25.yaml")) as graph:
        wait_until_serving(gateway, graph.prefix)
        weights = {n: p["traffic"] for n, p in graph.predictors().items() if not p["shadow"]}
        before = {name: served(cluster, graph, name) for name in weights}
        with Client(gateway, graph.prefix) as client:
            for _ in range(1000):
                client.predict()
        counts = {name: int(served(cluster, graph, name) - before[name]) for name in weights}
    assert sum(counts.values()) == 1000, counts
    assert split_problems(counts, weights, points=5) == [], counts


@THROUGH_ISTIO
def test_shadow_gets_mirrored_requests_callers_only_main(
    cluster: Kube, gateway: int, compile_example: CompileExample
) -> None:
    with helm_release(cluster, compile_example(EXAMPLES / "shadow.yaml")) as graph:
        wait_until_serving(gateway, graph.prefix)
        before = {name: served(cluster, graph, name) for name in ("main", "shadow")}
        with Client(gateway, graph.prefix) as client:
            for _ in range(200):
                client.predict()

        def mirrored() -> float | None:
            got = served(cluster, graph, "shadow") - before["shadow"]
            return got if got >= 200 else None

        wait_for("200 mirrored predictions on the shadow", mirrored, timeout=60)
        time.sleep(2)  # a late extra request would show here
        assert served(cluster, graph, "main") - before["main"] == 200
        assert served(cluster, graph, "shadow") - before["shadow"] == 200


def test_gpu_model_lands_on_the_gpu_node_with_limits_and_toleration(
    cluster: Kube, gpu_node: str, compile_example: CompileExample
) -> None:
    """Placement only (the scheduler's); on kind `--wait` also means the model loaded."""
    with helm_release(cluster, compile_example(EXAMPLES / "gpu-model.yaml")) as graph:
        node = graph.predictors()["main"]["nodes"]["classifier"]
        (pod,) = cluster.items("pods", graph.selector(node))
    spec = pod["spec"]
    (container,) = (c for c in spec["containers"] if c["name"] == "classifier")
    assert container["resources"]["limits"][GPU_RESOURCE] == "1"
    assert tolerates_gpu_taint(spec["tolerations"]), spec["tolerations"]
    assert spec["nodeName"] == gpu_node, "only the GPU worker advertises GPUs"


@THROUGH_ISTIO
def test_jsonnet_output_applied_with_kubectl_serves_and_deletes_cleanly(
    cluster: Kube, gateway: int, compile_example: CompileExample, tmp_path: Path
) -> None:
    graph = compile_example(SINGLE)
    out = tmp_path / "objects"
    render: list[str | Path] = [
        "render",
        SINGLE,
        "--engine",
        "jsonnet",
        "--namespace",
        NAMESPACE,
        "-o",
        out,
    ]
    cluster.run(INFERGRAPH, *render)
    cluster.kubectl("apply", "-f", out)
    try:
        for deployment in cluster.items("deployments", f"infergraph.io/graph={graph.name}"):
            name = f"deployment/{deployment['metadata']['name']}"
            cluster.kubectl("rollout", "status", name, "-n", NAMESPACE, "--timeout=300s")
        wait_until_serving(gateway, graph.prefix)
        assert set(predict_once(gateway, graph.prefix)["meta"]["requestPath"]) == {"classifier"}
    finally:
        cluster.kubectl("delete", "-f", out, "--ignore-not-found", "--wait")
    assert leftovers_after(cluster, graph) == []


@THROUGH_ISTIO
def test_rolling_update_of_the_image_under_load_fails_no_request(
    cluster: Kube, gateway: int, image: str, compile_example: CompileExample, tmp_path: Path
) -> None:
    graph = compile_example(SINGLE)
    new_image = upgraded_image(image)
    override = tmp_path / "upgrade.yaml"
    override.write_text(yaml.safe_dump(image_override(graph.values, new_image)))
    upgrade = ["upgrade", graph.name, CHART_DIR, "-n", NAMESPACE, "-f", graph.values_file]
    with helm_release(cluster, graph):
        wait_until_serving(gateway, graph.prefix)
        load = Load(gateway, graph.prefix)
        load.start()
        time.sleep(3)  # requests flowing before the rollout begins
        cluster.helm(*upgrade, "-f", override, "--wait", "--timeout", "5m")
        time.sleep(5)  # and after it has ended
        load.stop()
        pods = cluster.items("pods", f"infergraph.io/graph={graph.name}")
    assert load.sent > 100, f"only {load.sent} requests during the rollout"
    assert load.failures == [], f"{len(load.failures)} of {load.sent} failed: {load.failures[:5]}"
    live = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
    assert {c["image"] for p in live for c in p["spec"]["containers"]} == {new_image}


@pytest.mark.needs(Capability.SERVING)
def test_helm_test_passes_and_uninstall_leaves_nothing_labelled(
    cluster: Kube, compile_example: CompileExample
) -> None:
    graph = compile_example(SINGLE)
    with helm_release(cluster, graph):
        cluster.helm("test", graph.name, "-n", NAMESPACE, "--logs", "--timeout", "5m")
    # helm_release has run `helm uninstall --wait`; hooks (the test pod) count as leftovers too
    assert leftovers_after(cluster, graph) == []


@pytest.mark.needs(Capability.SERVING)
def test_node_whose_model_cannot_load_is_never_ready_and_is_named_in_5xx(
    cluster: Kube, compile_example: CompileExample
) -> None:
    graph = compile_example(BROKEN)
    predictor = graph.predictors()["main"]
    node_name = "classifier"
    node = predictor["nodes"][node_name]
    with helm_release(cluster, graph, wait=False):
        rollout = ["rollout", "status", f"deployment/{node['fullname']}", "-n", NAMESPACE]
        with pytest.raises(CommandFailed):
            cluster.kubectl(*rollout, "--timeout=90s")  # the rollout reports it never finishes
        pods = cluster.items("pods", graph.selector(node))
        assert pods and not any(pod_ready(p) for p in pods), [p["status"] for p in pods]
        (orchestrator,) = cluster.items("pods", graph.selector(predictor["orchestrator"]))
        target = f"pod/{orchestrator['metadata']['name']}"
        http = graph.port(predictor["orchestrator"], "http")
        with cluster.port_forward(target, http, NAMESPACE) as port:  # straight to the pod
            status, body = post_once(port, PREDICT, {"data": {"ndarray": [ROW]}})
    assert 500 <= status < 600, (status, body)
    assert node_name in body, body


def test_pod_asking_for_more_gpus_than_exist_stays_pending(cluster: Kube, image: str) -> None:
    name = "gpu-hog"
    cluster.apply(gpu_hog_pod(name, image, GPU_CAPACITY + 1))
    try:
        message = wait_for(
            f"the scheduler to turn {name} down",
            lambda: unschedulable_message(cluster.get("pod", name)),
            timeout=60,
        )
        assert f"Insufficient {GPU_RESOURCE}" in message, message
        time.sleep(10)
        assert cluster.get("pod", name)["status"]["phase"] == "Pending"
    finally:
        cluster.kubectl("delete", "pod", name, "-n", NAMESPACE, "--ignore-not-found", "--wait")
