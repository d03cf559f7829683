"""Istio traffic and security, NetworkPolicy, ServiceMonitor, ServiceAccount knob tests."""

from __future__ import annotations

from pathlib import Path

from infergraph.compile import compile_values
from infergraph.loading import load, load_text
from infergraph.model import Node, Serving, Tracing

from .render import HPA, JSON, KEDA, compile_graph, find, model, predictor, render_chart

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KINDS_OFF_BY_DEFAULT = (
    "NetworkPolicy",
    "ServiceMonitor",
    "PeerAuthentication",
    "AuthorizationPolicy",
)


def test_optional_objects_are_off_by_default() -> None:
    objects = render_chart()
    for kind in KINDS_OFF_BY_DEFAULT:
        assert find(objects, kind) == [], kind


def test_virtualservice_weights_follow_traffic_and_the_shadow_is_only_a_mirror() -> None:
    values = compile_graph(
        predictor("a", traffic=70),
        predictor("b", model("other"), traffic=30),
        predictor("s", shadow=True, traffic=25),
    )
    objects = render_chart(values)
    (vs,) = find(objects, "VirtualService")
    (route,) = vs["spec"]["http"]
    weights = {r["destination"]["subset"]: r["weight"] for r in route["route"]}
    assert weights == {"a": 70, "b": 30}
    assert route["route"][0]["destination"] == {
        "host": "iris",
        "subset": "a",
        "port": {"number": 9000},
    }
    assert route["mirror"] == {"host": "iris", "subset": "s", "port": {"number": 9000}}
    assert route["mirrorPercentage"] == {"value": 25}
    assert route["match"] == [{"uri": {"prefix": "/infergraph/iris/"}}]
    assert route["rewrite"] == {"uri": "/"}
    assert vs["spec"]["gateways"] == ["istio-system/infergraph-gateway"] and vs["spec"][
        "hosts"
    ] == ["*"]
    (dr,) = find(objects, "DestinationRule")
    subsets = {s["name"]: s["labels"] for s in dr["spec"]["subsets"]}
    assert subsets == {p: {"infergraph.io/predictor": p} for p in ("a", "b", "s")}
    assert dr["spec"]["host"] == "iris"
    graph_service = next(o for o in find(objects, "Service") if o["metadata"]["name"] == "iris")
    assert graph_service["spec"]["selector"] == {
        "app.kubernetes.io/instance": "iris",
        "app.kubernetes.io/component": "orchestrator",
    }


def test_route_retries_and_timeout_by_set() -> None:
    retries = {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"}
    (vs,) = find(
        render_chart(set={"istio.retries": retries, "istio.timeout": "10s"}), "VirtualService"
    )
    route = vs["spec"]["http"][0]
    assert (route["retries"], route["timeout"]) == (retries, "10s")
    (vs,) = find(render_chart(), "VirtualService")
    assert "retries" not in vs["spec"]["http"][0] and "mirror" not in vs["spec"]["http"][0]


def test_istio_disabled_renders_no_traffic_objects() -> None:
    objects = render_chart(set={"istio.enabled": False})
    assert find(objects, "VirtualService") == find(objects, "DestinationRule") == []


def test_peer_authentication_and_authorization_policy() -> None:
    principal = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    objects = render_chart(
        set={
            "istio.peerAuthentication": True,
            "istio.portLevelMtls": {"6000": {"mode": "PERMISSIVE"}},
            "istio.authorizationPolicy": {"enabled": True, "principals": [principal]},
        }
    )
    (pa,) = find(objects, "PeerAuthentication")
    assert pa["spec"] == {
        "selector": {"matchLabels": {"app.kubernetes.io/instance": "iris"}},
        "mtls": {"mode": "STRICT"},
        "portLevelMtls": {"6000": {"mode": "PERMISSIVE"}},
    }
    # none to list (the Istio CRD refuses an empty map): the field is left out
    (pa,) = find(render_chart(set={"istio.peerAuthentication": True}), "PeerAuthentication")
    assert "portLevelMtls" not in pa["spec"]
    (ap,) = find(objects, "AuthorizationPolicy")
    assert ap["spec"]["action"] == "ALLOW"
    assert ap["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/instance": "iris",
        "app.kubernetes.io/component": "orchestrator",
    }
    assert ap["spec"]["rules"] == [{"from": [{"source": {"principals": [principal]}}]}]


def test_network_policies_let_only_the_orchestrator_reach_nodes() -> None:
    values = compile_graph(predictor("a", traffic=50), predictor("b", traffic=50))
    values["networkPolicy"]["enabled"] = True
    objects = render_chart(values)
    policies = {p["metadata"]["name"]: p["spec"] for p in find(objects, "NetworkPolicy")}
    assert set(policies) == {"iris-a", "iris-a-classifier", "iris-b", "iris-b-classifier"}
    orchestrator_a = values["predictors"]["a"]["orchestrator"]["selectorLabels"]
    node = policies["iris-a-classifier"]
    assert (
        node["podSelector"]["matchLabels"]
        == values["predictors"]["a"]["nodes"]["classifier"]["selectorLabels"]
    )
    assert node["ingress"] == [
        {"from": [{"podSelector": {"matchLabels": orchestrator_a}}]},
        {"ports": [{"port": "metrics", "protocol": "TCP"}]},
    ]
    orchestrator = policies["iris-a"]
    assert orchestrator["podSelector"]["matchLabels"] == orchestrator_a
    assert orchestrator["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}},
        {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "iris"}}},
    ]


def test_service_monitor_scrapes_the_metrics_port_of_the_graph() -> None:
    objects = render_chart(
        set={"serviceMonitor": {"enabled": True, "interval": "15s", "labels": {"release": "prom"}}},
        namespace="ml",
    )
    (sm,) = find(objects, "ServiceMonitor")
    assert sm["metadata"]["labels"]["release"] == "prom"
    assert sm["metadata"]["labels"]["app.kubernetes.io/instance"] == "iris"
    assert sm["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/instance": "iris"}}
    assert sm["spec"]["namespaceSelector"] == {"matchNames": ["ml"]}
    assert sm["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "15s"}]
    for service in find(objects, "Service"):
        assert "metrics" in {p["name"] for p in service["spec"]["ports"]}
        assert (
            sm["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        )


def pod_specs(objects: list[JSON]) -> list[JSON]:
    return [d["spec"]["template"]["spec"] for d in find(objects, "Deployment")] + [
        p["spec"] for p in find(objects, "Pod")
    ]


def test_service_account_without_token_by_default() -> None:
    objects = render_chart()
    (sa,) = find(objects, "ServiceAccount", "iris")
    assert sa["automountServiceAccountToken"] is False
    assert {
        (s["serviceAccountName"], s["automountServiceAccountToken"]) for s in pod_specs(objects)
    } == {("iris", False)}


def test_service_account_token_and_creation_by_set() -> None:
    objects = render_chart(
        set={"serviceAccount": {"create": False, "name": "shared", "automountToken": True}}
    )
    assert find(objects, "ServiceAccount") == []
    assert {
        (s["serviceAccountName"], s["automountServiceAccountToken"]) for s in pod_specs(objects)
    } == {("shared", True)}


def test_every_knob_on_renders_objects_that_pass_the_schema_and_policy_checks() -> None:
    """Strict Kubernetes schemas, Istio/ServiceMonitor CRD schemas, GPU and restricted checks."""
    from infergraph.checks import check_objects

    knobs = {
        "networkPolicy.enabled": True,
        "serviceMonitor.enabled": True,
        "istio.peerAuthentication": True,
        "istio.authorizationPolicy": {"enabled": True, "principals": ["cluster.local/ns/a/sa/b"]},
        "istio.retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx"},
        "istio.timeout": "10s",
        "predictors.main.orchestrator.podDisruptionBudget": {"maxUnavailable": 1},
        "predictors.main.orchestrator.replicas": None,
        "predictors.main.orchestrator.autoscaling": HPA,
        "predictors.main.nodes.classifier.autoscaling": KEDA,
    }
    objects = render_chart(set=knobs)
    assert len({o["kind"] for o in objects}) == 15
    assert check_objects(objects) == []


def _env(deployment: JSON) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"] if "value" in e}


def test_tracing_writes_the_otel_environment_of_every_pod_and_nothing_when_off() -> None:
    router = Node(
        name="ab",
        type="ROUTER",
        pointer="/n",
        implementation="RANDOM_ABTEST",
        children=(model("a"), model("b")),
    )
    tracing = Tracing(endpoint="http://otel-collector.observability:4318", sampler_ratio=0.25)
    traced = render_chart(compile_graph(predictor(graph=router), serving=Serving(tracing=tracing)))
    deployments = find(traced, "Deployment")
    assert {d["metadata"]["name"] for d in deployments} == {
        "iris-main", "iris-main-ab", "iris-main-a", "iris-main-b"
    }  # fmt: skip
    for deployment in deployments:
        name = deployment["metadata"]["name"]
        otel = {k: v for k, v in _env(deployment).items() if k.startswith("OTEL_")}
        node = name.removeprefix("iris-main").removeprefix("-")
        resource = "infergraph.graph=iris,infergraph.predictor=main"
        assert otel == {
            "OTEL_EXPORTER_OTLP_ENDPOINT": tracing.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_PROPAGATORS": "b3multi,tracecontext,baggage",
            "OTEL_RESOURCE_ATTRIBUTES": resource + (f",infergraph.node={node}" if node else ""),
            "OTEL_SERVICE_NAME": name,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.25",
        }
    untraced = render_chart(compile_graph(predictor(graph=router)))
    for deployment in find(untraced, "Deployment"):
        assert not [k for k in _env(deployment) if k.startswith("OTEL_")]


def _receiver_policies(values: JSON) -> dict[str, JSON]:
    objects = render_chart(values)
    return {
        p["metadata"]["name"]: p["spec"]
        for p in find(objects, "NetworkPolicy")
        if p["metadata"]["name"] in values["networkPolicy"]["logClients"]
    }


def test_log_receivers_admit_only_the_orchestrators_that_log_to_them() -> None:
    values = compile_values(load(EXAMPLES / "monitored.yaml"))
    assert values["networkPolicy"]["enabled"]
    policies = _receiver_policies(values)
    assert set(policies) == {"monitored-logsink", "monitored-drift"}
    for name, sender in (("monitored-logsink", "main"), ("monitored-drift", "watch")):
        orchestrator = values["predictors"][sender]["orchestrator"]["selectorLabels"]
        assert policies[name]["ingress"] == [
            {
                "from": [{"podSelector": {"matchLabels": orchestrator}}],
                "ports": [{"port": "http", "protocol": "TCP"}],
            },
            {"ports": [{"port": "metrics", "protocol": "TCP"}]},
        ]
    assert (
        policies["monitored-drift"]["podSelector"]["matchLabels"]
        == (values["detectors"]["drift"]["selectorLabels"])
    )
    assert (
        policies["monitored-logsink"]["podSelector"]["matchLabels"]
        == (values["logSink"]["workload"]["selectorLabels"])
    )


def test_a_receiver_nobody_logs_to_admits_only_scrapes() -> None:
    # an empty `from` would admit every pod: the rule is left out instead
    text = (EXAMPLES / "monitored.yaml").read_text().replace("url: detector:drift", "url: sink")
    values = compile_values(load_text(text, "monitored.yaml"))
    orchestrators = [
        values["predictors"][p]["orchestrator"]["selectorLabels"] for p in ("main", "watch")
    ]
    assert values["networkPolicy"]["logClients"] == {
        "monitored-drift": [],
        "monitored-logsink": orchestrators,
    }
    policies = _receiver_policies(values)
    assert policies["monitored-drift"]["ingress"] == [
        {"ports": [{"port": "metrics", "protocol": "TCP"}]}
    ]
    assert policies["monitored-logsink"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": labels}} for labels in orchestrators
    ]


def test_log_receivers_have_no_policy_with_network_policies_off() -> None:
    values = compile_values(load(EXAMPLES / "monitored.yaml"))
    values["networkPolicy"]["enabled"] = False
    assert find(render_chart(values), "NetworkPolicy") == []
