"""The graph-definition schema: valid 2020-12, described, and its defaults are defaults.py's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields

from jsonschema import Draft202012Validator

from infergraph import defaults
from infergraph.errors import Problem
from infergraph.loading.schema import schema
from infergraph.model import Node, Predictor, Serving

from .docs import JSON


def _walk(node: JSON, at: str = "") -> Iterator[tuple[str, JSON]]:
    if isinstance(node, dict):
        yield at, node
        for key, value in node.items():
            yield from _walk(value, f"{at}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{at}/{index}")


def _field_default(cls: type, name: str) -> JSON:
    return next(f.default for f in fields(cls) if f.name == name)


#: every `default` keyword in the schema → the constant (or model default) it must equal
DEFAULTS = {
    "/$defs/protocol": defaults.DEFAULT_PROTOCOL,
    "/$defs/transport": defaults.DEFAULT_TRANSPORT,
    "/$defs/predictor/properties/replicas": defaults.REPLICAS,
    "/$defs/predictor/properties/shadow": _field_default(Predictor, "shadow"),
    "/$defs/node/properties/fallback": _field_default(Node, "fallback"),
    "/$defs/autoscaling/properties/minReplicas": defaults.REPLICAS,
    "/$defs/hpaSpec/properties/minReplicas": defaults.REPLICAS,
    "/$defs/autoscaling/properties/targetCPUUtilizationPercentage": (
        defaults.AUTOSCALING_TARGET_CPU
    ),
    "/$defs/kedaSpec/properties/pollingInterval": defaults.KEDA_POLLING_INTERVAL,
    "/$defs/kedaSpec/properties/cooldownPeriod": defaults.KEDA_COOLDOWN_PERIOD,
    "/$defs/kedaSpec/properties/minReplicaCount": defaults.KEDA_MIN_REPLICA_COUNT,
    "/$defs/kedaSpec/properties/maxReplicaCount": defaults.KEDA_MAX_REPLICA_COUNT,
    "/$defs/podSpec/properties/terminationGracePeriodSeconds": (
        defaults.TERMINATION_GRACE_PERIOD_SECONDS
    ),
    "/$defs/container/properties/imagePullPolicy": defaults.IMAGE_PULL_POLICY,
    "/$defs/istio/properties/gateways": list(defaults.ISTIO_GATEWAYS),
    "/$defs/istio/properties/hosts": list(defaults.ISTIO_HOSTS),
    "/$defs/istio/properties/enabled": _field_default(Serving, "istio_enabled"),
    "/$defs/istio/properties/peerAuthentication": _field_default(Serving, "peer_authentication"),
    "/$defs/istio/properties/cni": _field_default(Serving, "istio_cni"),
    "/$defs/gatewayApi/properties/enabled": _field_default(Serving, "gateway_api_enabled"),
    "/$defs/InferenceGraph/properties/spec/properties/networkPolicy/properties/enabled": (
        _field_default(Serving, "network_policy")
    ),
    "/$defs/InferenceGraph/properties/spec/properties/serviceMonitor/properties/enabled": (
        _field_default(Serving, "service_monitor")
    ),
    "/$defs/InferenceGraph/properties/spec/properties/podDisruptionBudget/properties/enabled": (
        _field_default(Serving, "pod_disruption_budget")
    ),
    "/$defs/InferenceGraph/properties/spec/properties/tracing/properties/samplerRatio": (
        defaults.TRACING_SAMPLER_RATIO
    ),
    "/$defs/node/properties/logger/properties/mode": defaults.LOGGER_MODE,
    "/$defs/logging/properties/mode": defaults.LOGGER_MODE,
    "/$defs/logging/properties/sampleRate": defaults.LOG_SAMPLE_RATE,
    "/$defs/logging/properties/queueSize": defaults.LOG_QUEUE_SIZE,
}


def test_schema_is_valid_2020_12() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_defaults_are_the_compiler_defaults() -> None:
    found = {at: node["default"] for at, node in _walk(schema()) if "default" in node}
    assert found == DEFAULTS


def test_every_property_is_described() -> None:
    defs = schema()["$defs"]
    missing = []
    for at, node in _walk(schema()):
        for name, prop in node.get("properties", {}).items():
            target = defs[prop["$ref"].rpartition("/")[2]] if "$ref" in prop else prop
            if "description" not in prop and "description" not in target:
                missing.append(f"{at}/properties/{name}")
    assert missing == []


def test_unknown_fields_are_refused_everywhere() -> None:
    """Every object schema is closed, except the root (closed by its then/else branches) and
    the Kubernetes EnvVarSource passed through as it is."""
    open_objects = [
        at
        for at, node in _walk(schema())
        if node.get("type") == "object" and "additionalProperties" not in node
    ]
    assert open_objects == ["", "/$defs/env/items/properties/valueFrom"]


def test_problem_text() -> None:
    assert str(Problem("g.yaml", "/spec", "is wrong; expected right", 3, 5)) == (
        "g.yaml:3:5: /spec: is wrong; expected right"
    )
    assert (
        str(Problem("g.yaml", "", "invalid YAML: oops", 1, 2)) == "g.yaml:1:2: invalid YAML: oops"
    )
    assert str(Problem("g.yaml", "", "cannot read the file: gone")) == (
        "g.yaml: cannot read the file: gone"
    )
