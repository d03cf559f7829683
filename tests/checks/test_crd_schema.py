"""Closed CRD schema validation of Istio and ServiceMonitor objects, and the vendored copies."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infergraph.checks.crd_schema import (
    CRD_FILES,
    check_crd_schema,
    close_objects,
    default_schema_dir,
    is_custom_resource,
)


def problems(obj: dict[str, Any], schema_dir: Path | None = None) -> list[tuple[str, str]]:
    return [(p.path, p.reason) for p in check_crd_schema(obj, schema_dir)]


def test_good_custom_objects_pass(good: dict[str, dict[str, Any]]) -> None:
    kinds = ("VirtualService", "DestinationRule", "PeerAuthentication", "ServiceMonitor")
    kinds += ("ScaledObject", "TriggerAuthentication")
    for kind in kinds:
        assert is_custom_resource(good[kind])
        assert problems(good[kind]) == [], kind
    assert not is_custom_resource(good["Deployment"])


def test_weight_of_the_wrong_type_fails(good: dict[str, dict[str, Any]]) -> None:
    virtual_service = good["VirtualService"]
    virtual_service["spec"]["http"][0]["route"][1]["weight"] = "90"
    assert problems(virtual_service) == [
        ("/spec/http/0/route/1/weight", '"90" is not of type integer')
    ]


def test_misspelt_virtual_service_field_fails(good: dict[str, dict[str, Any]]) -> None:
    route = good["VirtualService"]["spec"]["http"][0]
    route["mirrorPercentge"] = route.pop("mirrorPercentage")
    assert problems(good["VirtualService"]) == [
        (
            "/spec/http/0/mirrorPercentge",
            'unknown field "mirrorPercentge"; did you mean "mirrorPercentage"?',
        )
    ]


def test_misspelt_field_deep_in_a_destination_fails(good: dict[str, dict[str, Any]]) -> None:
    destination = good["VirtualService"]["spec"]["http"][0]["route"][0]["destination"]
    destination["port"] = {"numbr": 9000}
    assert [path for path, _ in problems(good["VirtualService"])] == [
        "/spec/http/0/route/0/destination/port/numbr"
    ]


def test_destination_rule_and_service_monitor_rules(good: dict[str, dict[str, Any]]) -> None:
    good["DestinationRule"]["spec"]["subsets"][0]["label"] = {"a": "b"}
    assert problems(good["DestinationRule"]) == [
        ("/spec/subsets/0/label", 'unknown field "label"; did you mean "labels"?')
    ]
    monitor = good["ServiceMonitor"]
    monitor["spec"]["endpoints"][0]["scheme"] = "ftp"
    del monitor["spec"]["selector"]
    assert problems(monitor) == [
        ("/spec/endpoints/0/scheme", '"ftp" is not one of "http", "https", "HTTP", "HTTPS"'),
        ("/spec/selector", "required field is missing"),
    ]


def test_keda_objects_are_checked_closed(good: dict[str, dict[str, Any]]) -> None:
    scaled = good["ScaledObject"]
    scaled["spec"]["minReplicas"] = scaled["spec"].pop("minReplicaCount")
    scaled["spec"]["triggers"][0]["metadata"]["threshold"] = 10
    del scaled["spec"]["scaleTargetRef"]["name"]
    assert sorted(problems(scaled)) == [
        ("/spec/minReplicas", 'unknown field "minReplicas"; did you mean "minReplicaCount"?'),
        ("/spec/scaleTargetRef/name", "required field is missing"),
        ("/spec/triggers/0/metadata/threshold", "10 is not of type string"),
    ]
    auth = good["TriggerAuthentication"]
    auth["spec"]["secretTargetRef"][0]["parametr"] = auth["spec"]["secretTargetRef"][0].pop(
        "parameter"
    )
    assert sorted(path for path, _ in problems(auth)) == [
        "/spec/secretTargetRef/0/parameter",
        "/spec/secretTargetRef/0/parametr",
    ]


def test_metadata_and_top_level_are_closed_too(good: dict[str, dict[str, Any]]) -> None:
    authn = good["PeerAuthentication"]
    authn["metadata"]["label"] = {}
    authn["status"] = {}
    assert problems(authn) == [
        ("/metadata/label", 'unknown field "label"; did you mean "labels"?'),
        ("/status", 'unknown field "status"; known fields: apiVersion, kind, metadata, spec'),
    ]


def test_unknown_version_of_a_known_group(good: dict[str, dict[str, Any]]) -> None:
    good["VirtualService"]["apiVersion"] = "networking.istio.io/v1alpha3"
    [(path, reason)] = problems(good["VirtualService"])
    assert path == "/kind"
    assert reason.startswith('no schema for "networking.istio.io/v1alpha3" "VirtualService"')


def test_close_objects_leaves_open_what_is_open_on_purpose() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"b": {"type": "string"}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "raw": {
                "type": "object",
                "properties": {},
                "x-kubernetes-preserve-unknown-fields": True,
            },
        },
    }
    closed = close_objects(schema)
    assert closed["additionalProperties"] is False
    assert closed["properties"]["a"]["additionalProperties"] is False
    assert closed["properties"]["labels"]["additionalProperties"] == {"type": "string"}
    assert "additionalProperties" not in closed["properties"]["raw"]
    assert "additionalProperties" not in schema  # the input is not changed


def test_missing_schema_folder_is_a_clear_error(
    good: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="INFERGRAPH_THIRDPARTY_SCHEMAS"):
        problems(good["VirtualService"], tmp_path)


def test_schema_folder_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INFERGRAPH_THIRDPARTY_SCHEMAS", str(tmp_path))
    assert default_schema_dir() == tmp_path


def test_vendored_schemas_match_the_sums_in_their_readme() -> None:
    root = default_schema_dir()
    for name in CRD_FILES.values():
        file = root / name
        readme = (file.parent / "README.md").read_text()
        sums = dict(
            (m[2], m[1]) for m in re.finditer(r"^([0-9a-f]{64})  (\S+)$", readme, re.MULTILINE)
        )
        assert hashlib.sha256(file.read_bytes()).hexdigest() == sums[file.name], name


def _routes() -> dict[str, dict[str, Any]]:
    """The HTTPRoute and GRPCRoute of the Gateway API example, as rendered (the golden file)."""
    golden = Path(__file__).resolve().parents[1] / "golden" / "canary-gateway-api.yaml"
    objects = [o for o in yaml.safe_load_all(golden.read_text()) if o]
    return {o["kind"]: o for o in objects if o["kind"] in ("HTTPRoute", "GRPCRoute")}


def test_rendered_gateway_api_routes_pass() -> None:
    routes = _routes()
    assert sorted(routes) == ["GRPCRoute", "HTTPRoute"]
    for route in routes.values():
        assert is_custom_resource(route)
        assert problems(route) == [], route["kind"]


def test_misspelt_mirror_percent_fails() -> None:
    route = _routes()["HTTPRoute"]
    mirror = route["spec"]["rules"][0]["filters"][1]["requestMirror"]
    mirror["percnt"] = mirror.pop("percent")
    assert problems(route) == [
        (
            "/spec/rules/0/filters/1/requestMirror/percnt",
            'unknown field "percnt"; did you mean "percent"?',
        )
    ]


def test_route_weights_percent_and_timeouts_are_checked() -> None:
    routes = _routes()
    http = routes["HTTPRoute"]["spec"]["rules"][0]
    http["filters"][1]["requestMirror"]["percent"] = 101
    http["timeouts"]["request"] = "100000ms"
    routes["GRPCRoute"]["spec"]["rules"][0]["backendRefs"][0]["weight"] = "25"
    [(path, reason)] = problems(routes["GRPCRoute"])
    assert (path, reason) == ("/spec/rules/0/backendRefs/0/weight", '"25" is not of type integer')
    assert [path for path, _ in problems(routes["HTTPRoute"])] == [
        "/spec/rules/0/filters/1/requestMirror/percent",
        "/spec/rules/0/timeouts/request",
    ]
