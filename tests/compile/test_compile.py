"""compile_values on typed models: every default resolved, GPU/traffic/storage rules applied."""

from __future__ import annotations

from dataclasses import replace

from infergraph import defaults
from infergraph.compile import compile_runtime, compile_values
from infergraph.model import (
    Autoscaling,
    Graph,
    KedaScaling,
    Node,
    Parameter,
    Predictor,
    Resources,
    Serving,
)
from infergraph.output import dump_yaml


def _model(name: str = "clf", **kw: object) -> Node:
    return Node(name=name, type="MODEL", pointer="/x", implementation="SKLEARN_SERVER", **kw)  # type: ignore[arg-type]


def _graph(*predictors: Predictor, name: str = "iris") -> Graph:
    return Graph(name=name, source="t.yaml", predictors=predictors)


def _predictor(name: str = "main", node: Node | None = None, **kw: object) -> Predictor:
    return Predictor(name=name, graph=node or _model(), pointer="/p", **kw)  # type: ignore[arg-type]


def test_single_model_values_are_explicit() -> None:
    values = compile_values(_graph(_predictor()))
    pred = values["predictors"]["main"]
    node = pred["nodes"]["clf"]
    assert pred["fullname"] == "iris-main" and node["fullname"] == "iris-main-clf"
    assert pred["traffic"] == 100 and pred["mirrorPercent"] is None
    assert node["container"]["name"] == "clf"
    assert node["container"]["image"] == defaults.SERVER_IMAGE
    assert node["replicas"] == 1
    assert node["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert node["selectorLabels"] == {
        "app.kubernetes.io/instance": "iris",
        "app.kubernetes.io/component": "node",
        "infergraph.io/predictor": "main",
        "infergraph.io/node": "clf",
    }
    assert node["tolerations"] == []
    assert "nvidia.com/gpu" not in node["container"]["resources"]["limits"]


def test_gpu_node_gets_limit_toleration_and_no_surge() -> None:
    gpu = _model(resources=Resources(limits={"nvidia.com/gpu": "2", "memory": "2Gi"}))
    node = compile_values(_graph(_predictor(node=gpu)))["predictors"]["main"]["nodes"]["clf"]
    assert node["container"]["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert node["container"]["resources"]["limits"]["memory"] == "2Gi"
    assert node["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert node["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


def test_autoscaled_node_leaves_replicas_unset() -> None:
    cpu = {"type": "Resource", "resource": {"name": "cpu"}}
    scaled = _model(autoscaling=Autoscaling(1, 5, (cpu,), "/a"), replicas=3)
    node = compile_values(_graph(_predictor(node=scaled)))["predictors"]["main"]["nodes"]["clf"]
    assert node["replicas"] is None
    assert node["autoscaling"] == {
        "hpa": {"minReplicas": 1, "maxReplicas": 5, "metrics": [cpu], "behavior": None}
    }


def test_keda_node_leaves_replicas_unset_and_names_its_trigger_authentication() -> None:
    secret = {"parameter": "bearerToken", "name": "prom", "key": "token"}
    triggers = (
        {"type": "prometheus", "metadata": {"query": "up"}, "secretTargetRef": [secret]},
        {"type": "cron", "metadata": {"timezone": "UTC"}},
    )
    keda = KedaScaling(0, 4, 15, 60, triggers, "/a")
    node = compile_values(_graph(_predictor(node=_model(autoscaling=keda, replicas=3))))
    clf = node["predictors"]["main"]["nodes"]["clf"]
    assert clf["replicas"] is None
    assert clf["autoscaling"] == {
        "keda": {
            "minReplicaCount": 0,
            "maxReplicaCount": 4,
            "pollingInterval": 15,
            "cooldownPeriod": 60,
            "triggers": [
                {
                    "type": "prometheus",
                    "metadata": {"query": "up"},
                    "authenticationRef": {"name": "iris-main-clf-trigger-0"},
                },
                {"type": "cron", "metadata": {"timezone": "UTC"}},
            ],
            "triggerAuthentications": {"iris-main-clf-trigger-0": {"secretTargetRef": [secret]}},
        }
    }


def test_disruption_budget_of_a_node_kept_at_zero_by_keda_allows_evictions() -> None:
    """minAvailable would block every eviction of the last pod; maxUnavailable 1 holds at 0."""
    keda = KedaScaling(0, 4, 30, 300, ({"type": "prometheus", "metadata": {}},), "/a")
    graph = replace(
        _graph(_predictor(node=_model(autoscaling=keda))),
        serving=Serving(pod_disruption_budget=True),
    )
    clf = compile_values(graph)["predictors"]["main"]["nodes"]["clf"]
    assert clf["autoscaling"]["keda"]["minReplicaCount"] == 0
    assert clf["podDisruptionBudget"] == {"maxUnavailable": 1}


def test_traffic_rest_and_shadow_mirror() -> None:
    graph = _graph(
        _predictor("a", traffic=75),
        _predictor("b"),
        _predictor("s", shadow=True, traffic=30),
    )
    preds = compile_values(graph)["predictors"]
    assert [preds[p]["traffic"] for p in "abs"] == [75, 25, 0]
    assert preds["s"]["mirrorPercent"] == 30 and preds["a"]["mirrorPercent"] is None


def test_pvc_model_is_mounted_read_only() -> None:
    node = compile_values(_graph(_predictor(node=_model(model_uri="pvc://models/iris"))))
    clf = node["predictors"]["main"]["nodes"]["clf"]
    assert {"name": "INFERGRAPH_MODEL_URI", "value": "/mnt/pvc/iris"} in clf["container"]["env"]
    assert {
        "name": "model",
        "persistentVolumeClaim": {"claimName": "models", "readOnly": True},
    } in clf["volumes"]
    assert clf["initContainers"] == []


def test_remote_model_uses_storage_initializer_with_secret() -> None:
    remote = _model(model_uri="s3://bucket/iris", env_secret_ref="s3-creds")
    clf = compile_values(_graph(_predictor(node=remote)))["predictors"]["main"]["nodes"]["clf"]
    (init,) = clf["initContainers"]
    assert init["args"] == ["s3://bucket/iris", "/mnt/models"]
    assert init["envFrom"] == [{"secretRef": {"name": "s3-creds"}}]
    assert init["securityContext"]["readOnlyRootFilesystem"] is True


def test_custom_node_keeps_its_image_and_gets_seldon_env() -> None:
    custom = Node(
        name="c",
        type="MODEL",
        pointer="/x",
        image="me/model:1",
        parameters=(
            Parameter("n", "INT", 3, "/p"),
            Parameter("flag", "BOOL", True, "/q"),
        ),
    )
    clf = compile_values(_graph(_predictor(node=custom)))["predictors"]["main"]["nodes"]["c"]
    env = {e["name"]: e["value"] for e in clf["container"]["env"]}
    assert clf["container"]["image"] == "me/model:1" and clf["container"]["args"] is None
    assert env["PREDICTIVE_UNIT_PARAMETERS"] == (
        '[{"name":"n","type":"INT","value":"3"},{"name":"flag","type":"BOOL","value":"true"}]'
    )
    assert clf["container"]["readinessProbe"]["httpGet"]["path"] == "/health/status"


def test_runtime_graph_names_node_services_and_config_hash_follows_it() -> None:
    router = Node(
        name="ab",
        type="ROUTER",
        pointer="/r",
        implementation="RANDOM_ABTEST",
        children=(_model("a"), _model("b")),
    )
    graph = _graph(_predictor(node=router))
    runtime = compile_runtime(graph)["main"]
    assert [c["host"] for c in runtime["root"]["children"]] == ["iris-main-a", "iris-main-b"]
    before = compile_values(graph)["predictors"]["main"]["orchestrator"]["podAnnotations"]
    changed = replace(graph, transport="grpc")
    after = compile_values(changed)["predictors"]["main"]["orchestrator"]["podAnnotations"]
    assert before["infergraph.io/config-hash"] != after["infergraph.io/config-hash"]


def test_values_yaml_spells_out_shared_fragments() -> None:
    gpu = Resources(limits={"nvidia.com/gpu": "1"})
    a, b = _model("a", resources=gpu), _model("b", resources=gpu)
    combiner = Node(
        name="avg",
        type="COMBINER",
        pointer="/c",
        implementation="AVERAGE_COMBINER",
        children=(a, b),
    )
    text = dump_yaml(compile_values(_graph(_predictor(node=combiner))))
    assert "&id" not in text and "*id" not in text, "no YAML anchors or aliases in values"
    assert text.count("key: nvidia.com/gpu") == 2


def test_compile_is_deterministic() -> None:
    graph = _graph(_predictor("a", traffic=50), _predictor("b", traffic=50))
    assert dump_yaml(compile_values(graph)) == dump_yaml(compile_values(graph))


def test_component_spec_labels_and_annotations_reach_the_node_objects() -> None:
    node = _model(labels={"version": "v2", "infergraph.io/node": "spoof"}, annotations={"a": "b"})
    clf = compile_values(_graph(_predictor(node=node)))["predictors"]["main"]["nodes"]["clf"]
    assert clf["labels"]["version"] == "v2" and clf["annotations"] == {"a": "b"}
    assert clf["labels"]["infergraph.io/node"] == "clf", "selector labels are ours"
    assert "version" not in clf["selectorLabels"]


def test_pre_stop_sleep_fits_inside_a_short_grace_period() -> None:
    """The API server rejects a preStop sleep not shorter than terminationGracePeriodSeconds
    (found by the cluster tier's dry run of the corpus: Seldon's HPA example sets 1 s)."""

    def container(grace: int | None) -> dict[str, object]:
        node = _model(termination_grace_period_seconds=grace)
        values = compile_values(_graph(_predictor(node=node)))["predictors"]["main"]["nodes"]
        assert values["clf"]["terminationGracePeriodSeconds"] == (
            defaults.TERMINATION_GRACE_PERIOD_SECONDS if grace is None else grace
        )
        found: dict[str, object] = values["clf"]["container"]
        return found

    sleep = {"preStop": {"sleep": {"seconds": defaults.PRE_STOP_SECONDS}}}
    assert container(None)["lifecycle"] == sleep
    assert container(defaults.PRE_STOP_SECONDS + 1)["lifecycle"] == sleep
    assert container(3)["lifecycle"] == {"preStop": {"sleep": {"seconds": 2}}}
    assert container(1)["lifecycle"] == {}
    assert container(0)["lifecycle"] == {}
