"""Graph-wide serving options: native `spec` fields over honoured `seldon.io/*` annotations."""

from __future__ import annotations

from collections.abc import Mapping

from .. import defaults
from ..errors import Findings
from ..model import ParentRef, Serving, Tracing
from ..pointers import JSON
from .seldon import read_annotations

__all__ = ["serving_options"]

_NATIVE_SWITCHES = {
    "networkPolicy": "network_policy",
    "serviceMonitor": "service_monitor",
    "podDisruptionBudget": "pod_disruption_budget",
}

#: istio fields that only shape the VirtualService (the security ones apply with any router)
_ISTIO_ROUTING = ("gateways", "hosts", "retries")


def _native(spec: Mapping[str, JSON]) -> dict[str, JSON]:
    """Serving options written as native `spec` fields (they win over annotations)."""
    istio = spec.get("istio", {})
    out: dict[str, JSON] = {}
    for key, name in (
        ("enabled", "istio_enabled"),
        ("peerAuthentication", "peer_authentication"),
        ("cni", "istio_cni"),
    ):
        if key in istio:
            out[name] = istio[key]
    for key, name in (("gateways", "istio_gateways"), ("hosts", "istio_hosts")):
        if key in istio:
            out[name] = tuple(istio[key])
    if "retries" in istio:
        out["istio_retries"] = int(istio["retries"])
    if "authorizationPolicy" in istio:
        out["authorization_principals"] = tuple(istio["authorizationPolicy"]["principals"])
    for key, name in _NATIVE_SWITCHES.items():
        if "enabled" in spec.get(key, {}):
            out[name] = spec[key]["enabled"]
    if "tracing" in spec:
        tracing = spec["tracing"]
        ratio = tracing.get("samplerRatio", defaults.TRACING_SAMPLER_RATIO)
        out["tracing"] = Tracing(endpoint=tracing["endpoint"], sampler_ratio=float(ratio))
    return out


def _gateway_api(spec: Mapping[str, JSON], findings: Findings) -> dict[str, JSON]:
    """`spec.gatewayApi` as Serving fields; it turns Istio routing off unless that is asked too.

    One router per graph: both `enabled: true` is an error naming both fields.
    """
    gateway, istio = spec.get("gatewayApi", {}), spec.get("istio", {})
    if not gateway.get("enabled", False):
        return {}
    if istio.get("enabled", False):
        findings.error(
            "/spec/gatewayApi/enabled",
            "true while /spec/istio/enabled is true too; expected one router per graph: "
            "set /spec/istio/enabled to false (or leave it out) to route with the Gateway API",
        )
    for key in _ISTIO_ROUTING:
        if key in istio:
            findings.error(
                f"/spec/istio/{key}",
                "configures the Istio VirtualService, which /spec/gatewayApi/enabled replaces; "
                "expected it left out (or gatewayApi.enabled false)",
            )
    refs = tuple(
        ParentRef(ref["name"], ref["namespace"], ref.get("sectionName"))
        for ref in gateway["parentRefs"]
    )
    for i, ref in enumerate(refs):
        if ref in refs[:i]:
            first = refs.index(ref)
            findings.error(
                f"/spec/gatewayApi/parentRefs/{i}",
                f'the same parent as /spec/gatewayApi/parentRefs/{first} ("{ref.namespace}/'
                f'{ref.name}"{f", section {ref.section_name}" if ref.section_name else ""}); '
                "expected each Gateway listener once",
            )
    hostnames = tuple(gateway.get("hostnames", ()))
    for i, host in enumerate(hostnames):
        if host in hostnames[:i]:
            findings.error(
                f"/spec/gatewayApi/hostnames/{i}",
                f'"{host}" is listed twice; expected each hostname once',
            )
    return {
        "gateway_api_enabled": True,
        "gateway_parent_refs": refs,
        "gateway_hostnames": hostnames,
        "istio_enabled": False,
    }


def _check_mesh(serving: Serving, findings: Findings) -> None:
    """Istio security puts the pods in the mesh (compile/mesh.py); under the restricted Pod
    Security profile an injected sidecar is admitted only with Istio's CNI plugin, which the
    graph must say the platform runs: otherwise the pods would be refused at creation, or, with
    no injection, the policies would protect nothing."""
    if serving.istio_cni:
        return
    asked = [("peerAuthentication", serving.peer_authentication)]
    asked.append(("authorizationPolicy", serving.authorization_principals is not None))
    for key in (k for k, on in asked if on):
        findings.error(
            f"/spec/istio/{key}",
            "puts the graph's pods in the Istio mesh (a sidecar in each), which the restricted "
            "Pod Security profile admits only where the platform runs Istio's CNI plugin "
            "(values.istio_cni.enabled, or ambient); expected /spec/istio/cni: true once it "
            f"does, or {key} left out",
        )


def serving_options(data: Mapping[str, JSON], findings: Findings) -> tuple[Serving, dict[str, str]]:
    """(Serving, the graph annotations without `seldon.io/*`) of a schema-valid document.

    Annotations come from metadata.annotations and, for a SeldonDeployment, spec.annotations
    (which win, as in Seldon's operator).
    """
    metadata, spec = data["metadata"], data["spec"]
    given = {**metadata.get("annotations", {}), **spec.get("annotations", {})}
    where = dict.fromkeys(metadata.get("annotations", {}), "/metadata/annotations")
    where.update(dict.fromkeys(spec.get("annotations", {}), "/spec/annotations"))
    options, annotations = read_annotations(given, where, findings, graph_level=True)
    native = {**_native(spec), **_gateway_api(spec, findings)}
    serving = Serving(**{**options, **native})
    _check_mesh(serving, findings)
    return serving, annotations
