"""SeldonDeployments: the shared corpus (which load, which fail and why) and the field mapping."""

from __future__ import annotations

import pytest

from infergraph.loading import load_text

from .docs import dump, native, problems, seldon, warnings


@pytest.mark.parametrize("version", ["v1", "v1alpha2", "v1alpha3"])
def test_api_versions(version: str) -> None:
    assert problems(seldon(version)) == []


def test_unknown_api_version() -> None:
    assert problems(seldon("v2")) == [
        '/apiVersion: "machinelearning.seldon.io/v2" is not supported; expected one of: '
        '"machinelearning.seldon.io/v1", "machinelearning.seldon.io/v1alpha2", '
        '"machinelearning.seldon.io/v1alpha3"'
    ]


def test_honoured_annotations_configure_serving() -> None:
    doc = seldon()
    doc["metadata"]["annotations"] = {
        "seldon.io/rest-timeout": "5000",
        "seldon.io/grpc-timeout": "6000",
        "seldon.io/grpc-max-message-size": "1048576",
        "seldon.io/istio-gateway": "ns/gw, other/gw",
        "seldon.io/istio-retries": "0",
        "team": "ml",
    }
    doc["spec"]["annotations"] = {
        "seldon.io/istio-host": "iris.example.com",
        "seldon.io/svc-name": "iris-api",
    }
    graph = load_text(dump(doc), "g.yaml")
    serving = graph.serving
    assert (serving.rest_timeout_ms, serving.grpc_timeout_ms, serving.grpc_max_message_size) == (
        5000,
        6000,
        1048576,
    )
    assert (serving.istio_gateways, serving.istio_hosts, serving.istio_retries) == (
        ("ns/gw", "other/gw"),
        ("iris.example.com",),
        0,
    )
    assert serving.svc_name == "iris-api"
    assert graph.annotations == {"team": "ml"}


def test_predictor_level_seldon_annotations_warn() -> None:
    doc = seldon(annotations={"seldon.io/svc-name": "x", "keep": "me"})
    assert warnings(doc) == [
        "/spec/predictors/0/annotations/seldon.io~1svc-name: has no effect on a predictor; "
        "set it in metadata.annotations"
    ]


def test_native_serving_options_win_over_annotations() -> None:
    doc = native(
        istio={
            "gateways": ["gw"],
            "retries": 2,
            "peerAuthentication": True,
            "cni": True,
            "authorizationPolicy": {"principals": ["cluster.local/ns/a/sa/b"]},
        },
        networkPolicy={"enabled": True},
        serviceMonitor={"enabled": True},
        podDisruptionBudget={"enabled": True},
    )
    doc["metadata"]["annotations"] = {
        "seldon.io/istio-gateway": "ignored",
        "seldon.io/istio-host": "h",
    }
    serving = load_text(dump(doc), "g.yaml").serving
    assert serving.istio_gateways == ("gw",) and serving.istio_hosts == ("h",)
    assert (serving.istio_retries, serving.peer_authentication) == (2, True)
    assert serving.authorization_principals == ("cluster.local/ns/a/sa/b",)
    assert (serving.network_policy, serving.service_monitor, serving.pod_disruption_budget) == (
        True,
        True,
        True,
    )
