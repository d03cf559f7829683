"""Membership of the Istio mesh: what a graph's pods carry so that its PeerAuthentication and
AuthorizationPolicy have a sidecar to enforce them, and the one port left outside mutual TLS.

A graph joins the mesh when it asks for Istio security: those objects select workloads with a
sidecar, and without one they do nothing. Istio (>= 1.10) injects on the pod label alone, so the
namespace needs no `istio-injection` label. Under the restricted Pod Security profile the
injected pod is admitted only where the platform runs Istio's CNI plugin (no privileged
`istio-init`): `spec.istio.cni` says it does, and validation asks for it (loading/serving.py).
"""

from __future__ import annotations

from .. import defaults
from ..model import Serving
from ..pointers import JSON

__all__ = [
    "INJECT_LABEL",
    "MERGE_METRICS_ANNOTATION",
    "in_mesh",
    "mesh_pod_metadata",
    "port_level_mtls",
]

#: Istio's per-pod injection switch (honoured without a namespace label since Istio 1.10)
INJECT_LABEL = "sidecar.istio.io/inject"
#: Istio's per-pod switch of metrics merging: off, so `prometheus.io/port` keeps naming our
#: metrics port, the one port the NetworkPolicies and the PeerAuthentication let scrapers reach
MERGE_METRICS_ANNOTATION = "prometheus.istio.io/merge-metrics"


def in_mesh(serving: Serving) -> bool:
    """The graph asks for Istio security, which only a sidecar in each pod enforces."""
    return serving.peer_authentication or serving.authorization_principals is not None


def mesh_pod_metadata(joined: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) of a pod that `joined` the mesh: the label that has Istio inject
    its sidecar, and Istio's metrics merging off (why: MERGE_METRICS_ANNOTATION); none outside."""
    if not joined:
        return {}, {}
    return {INJECT_LABEL: "true"}, {MERGE_METRICS_ANNOTATION: "false"}


def port_level_mtls(serving: Serving) -> JSON:
    """The PeerAuthentication's exceptions to STRICT: the metrics port stays PERMISSIVE, since
    Prometheus (a ServiceMonitor or `prometheus.io` annotations) scrapes it from outside the
    mesh, with no certificate; it serves counters, never a request's data."""
    if not serving.peer_authentication:
        return {}
    return {str(defaults.METRICS_PORT): {"mode": "PERMISSIVE"}}
