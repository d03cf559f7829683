"""Deployments, Services, ConfigMaps, HPA and PDB: knob tests (default, set, omitted)."""

from __future__ import annotations

import hashlib

import pytest

from infergraph.model import Autoscaling, KedaScaling, Node, Resources

from .render import (
    HPA,
    JSON,
    KEDA,
    HelmFailed,
    compile_graph,
    find,
    model,
    predictor,
    render_chart,
)

GPU = "nvidia.com/gpu"


def two_predictors() -> list[JSON]:
    """A combiner over a CPU and a GPU model in `main`; a single model in `canary`."""
    combiner = Node(
        name="combine",
        type="COMBINER",
        pointer="/n",
        implementation="AVERAGE_COMBINER",
        children=(model("cpu"), model("gpu", resources=Resources(limits={GPU: "1"}))),
    )
    graph = compile_graph(
        predictor("main", combiner, traffic=80), predictor("canary", model("cpu"), traffic=20)
    )
    return render_chart(graph)


def test_each_service_selects_exactly_its_own_pods() -> None:
    objects = two_predictors()
    deployments = find(objects, "Deployment")
    assert len(deployments) == 6  # 2 orchestrators + 3 + 1 nodes
    orchestrators = ["iris-canary", "iris-main"]
    for service in find(objects, "Service"):
        selector = service["spec"]["selector"].items()
        chosen = [
            d["metadata"]["name"]
            for d in deployments
            if selector <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        name = service["metadata"]["name"]
        assert chosen == (orchestrators if name == "iris" else [name])


def test_gpu_limits_toleration_and_no_surge_only_on_gpu_nodes() -> None:
    for deployment in find(two_predictors(), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        limits = pod["containers"][0]["resources"]["limits"]
        gpu = deployment["metadata"]["name"] == "iris-main-gpu"
        assert (GPU in limits) is gpu
        assert (
            pod.get("tolerations") == [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}]
        ) is gpu
        surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        assert surge == (0 if gpu else 1)


def test_containers_are_named_after_their_node() -> None:
    for deployment in find(two_predictors(), "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        labels = deployment["metadata"]["labels"]
        assert container["name"] == labels.get("infergraph.io/node", "orchestrator")


def test_autoscaling_renders_an_hpa_and_leaves_replicas_unset() -> None:
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}
    cpu["resource"]["target"]["averageUtilization"] = 60
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 300}}
    scaled = model(
        autoscaling=Autoscaling(
            min_replicas=2, max_replicas=5, metrics=(cpu,), behavior=behavior, pointer="/a"
        )
    )
    objects = render_chart(compile_graph(predictor(graph=scaled)))
    (hpa,) = find(objects, "HorizontalPodAutoscaler")
    assert hpa["metadata"]["name"] == "iris-main-classifier"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "iris-main-classifier",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["metrics"] == [cpu]
    assert hpa["spec"]["behavior"] == behavior
    assert "replicas" not in find(objects, "Deployment", "iris-main-classifier")[0]["spec"]
    assert find(objects, "Deployment", "iris-main")[0]["spec"]["replicas"] == 1
    assert find(objects, "ScaledObject") == []


def test_keda_renders_a_scaled_object_no_hpa_and_leaves_replicas_unset() -> None:
    secret = {"parameter": "bearerToken", "name": "prom", "key": "token"}
    trigger = {"type": "prometheus", "metadata": {"query": "up", "threshold": "1"}}
    keda = KedaScaling(0, 3, 10, 60, ({**trigger, "secretTargetRef": [secret]},), "/a")
    objects = render_chart(compile_graph(predictor(graph=model(autoscaling=keda))))
    assert find(objects, "HorizontalPodAutoscaler") == []
    (scaled,) = find(objects, "ScaledObject")
    (auth,) = find(objects, "TriggerAuthentication")
    assert scaled["metadata"]["name"] == "iris-main-classifier"
    assert scaled["spec"] == {
        "scaleTargetRef": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": scaled["metadata"]["name"],
        },
        "pollingInterval": 10,
        "cooldownPeriod": 60,
        "minReplicaCount": 0,
        "maxReplicaCount": 3,
        "triggers": [{**trigger, "authenticationRef": {"name": auth["metadata"]["name"]}}],
    }
    assert auth["spec"] == {"secretTargetRef": [secret]}
    assert "replicas" not in find(objects, "Deployment", "iris-main-classifier")[0]["spec"]


def test_autoscaling_by_set_and_by_default() -> None:
    cpu = {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}
    scaling = {"hpa": {"minReplicas": 1, "maxReplicas": 3, "metrics": [cpu], "behavior": None}}
    objects = render_chart(
        set={
            "predictors.main.orchestrator.autoscaling": scaling,
            "predictors.main.orchestrator.replicas": None,
        }
    )
    assert [h["metadata"]["name"] for h in find(objects, "HorizontalPodAutoscaler")] == [
        "iris-main"
    ]
    assert "replicas" not in find(objects, "Deployment", "iris-main")[0]["spec"]
    assert find(render_chart(), "HorizontalPodAutoscaler") == []


def test_values_cannot_ask_for_an_hpa_and_keda_on_one_deployment() -> None:
    both = {"hpa": {"minReplicas": 1, "maxReplicas": 3, "metrics": [{}], "behavior": None}}
    both["keda"] = {"minReplicaCount": 0, "maxReplicaCount": 3, "pollingInterval": 30}
    with pytest.raises(HelmFailed, match="autoscaling"):
        render_chart(set={"predictors.main.nodes.classifier.autoscaling": both})


@pytest.mark.parametrize("budget", [{"maxUnavailable": 1}, {"minAvailable": "50%"}])
def test_pod_disruption_budget_by_set(budget: JSON) -> None:
    objects = render_chart(set={"predictors.main.nodes.classifier.podDisruptionBudget": budget})
    (pdb,) = find(objects, "PodDisruptionBudget")
    node = find(objects, "Deployment", "iris-main-classifier")[0]
    assert pdb["metadata"]["name"] == "iris-main-classifier"
    assert pdb["spec"] == {**budget, "selector": node["spec"]["selector"]}
    assert find(render_chart(), "PodDisruptionBudget") == []


def test_orchestrator_pods_carry_the_hash_of_their_graph_configmap() -> None:
    objects = two_predictors()
    for name in ("iris-main", "iris-canary"):
        data = find(objects, "ConfigMap", f"{name}-graph")[0]["data"]["graph.json"]
        pod = find(objects, "Deployment", name)[0]["spec"]["template"]["metadata"]
        assert (
            pod["annotations"]["infergraph.io/config-hash"]
            == hashlib.sha256(data.encode()).hexdigest()
        )


@pytest.mark.parametrize(
    ("set_", "expected"), [({}, "release-ns"), ({"namespace": "graph-ns"}, "graph-ns")]
)
def test_every_object_has_the_graph_or_release_namespace(set_: JSON, expected: str) -> None:
    everything = {
        "networkPolicy.enabled": True,
        "serviceMonitor.enabled": True,
        "istio.peerAuthentication": True,
        "istio.authorizationPolicy.enabled": True,
        "predictors.main.orchestrator.podDisruptionBudget": {"maxUnavailable": 1},
        "predictors.main.orchestrator.autoscaling": HPA,
        "predictors.main.nodes.classifier.autoscaling": KEDA,
    }
    objects = render_chart(set={**everything, **set_}, namespace="release-ns")
    assert len({o["kind"] for o in objects}) == 15
    assert {o["metadata"]["namespace"] for o in objects} == {expected}
    assert find(objects, "DestinationRule")[0]["spec"]["host"] == "iris"


def test_helm_adds_only_its_two_labels() -> None:
    graph = compile_graph(predictor())
    for obj in render_chart(graph):
        added = (
            set(obj["metadata"]["labels"])
            - set(graph["labels"])
            - {"app.kubernetes.io/component", "infergraph.io/predictor", "infergraph.io/node"}
        )
        assert added == {"helm.sh/chart", "app.kubernetes.io/managed-by"}, obj["metadata"]


def test_chart_defaults_do_not_leak_into_another_graph() -> None:
    objects = render_chart(compile_graph(predictor("canary", model("m"))))
    names = {o["metadata"]["name"] for o in objects}
    assert names == {"iris", "iris-canary", "iris-canary-graph", "iris-canary-m", "iris-test"}
