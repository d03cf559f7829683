"""`spec.istio.cni`: Istio security puts the pods in the mesh, which the restricted profile admits
only on a platform running Istio's CNI plugin; the graph must say it does."""

from __future__ import annotations

import pytest

from .docs import JSON, native, problems

PRINCIPALS = {"principals": ["cluster.local/ns/istio-system/sa/gateway"]}


def _message(key: str) -> str:
    return (
        f"/spec/istio/{key}: puts the graph's pods in the Istio mesh (a sidecar in each), which "
        "the restricted Pod Security profile admits only where the platform runs Istio's CNI "
        "plugin (values.istio_cni.enabled, or ambient); expected /spec/istio/cni: true once it "
        f"does, or {key} left out"
    )


@pytest.mark.parametrize("cni", [{}, {"cni": False}])
def test_istio_security_without_cni_names_every_key_that_asks_for_the_mesh(cni: JSON) -> None:
    doc = native(istio={"peerAuthentication": True, "authorizationPolicy": PRINCIPALS, **cni})
    assert problems(doc) == [_message("authorizationPolicy"), _message("peerAuthentication")]
    assert problems(native(istio={"authorizationPolicy": PRINCIPALS, **cni})) == [
        _message("authorizationPolicy")
    ]


def test_istio_security_with_cni_and_cni_alone_are_valid() -> None:
    secured = {"peerAuthentication": True, "authorizationPolicy": PRINCIPALS, "cni": True}
    assert problems(native(istio=secured)) == []
    assert problems(native(istio={"cni": True})) == []
    assert problems(native(istio={"peerAuthentication": False})) == []
