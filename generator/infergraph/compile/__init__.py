"""Pure compile functions: a validated `Graph` in, the explicit values document out.

No I/O, no clock, no globals: the same graph always gives the same values.
"""

from __future__ import annotations

from .. import defaults
from ..model import Graph
from ..pointers import JSON
from .containers import service_ports
from .detectors import detector_workload
from .labels import graph_labels, workload_labels
from .log_targets import log_clients
from .logsink import logsink_values
from .nodes import node_workload, orchestrator_fullname
from .orchestrator import orchestrator_workload
from .runtime import config_hash, runtime_graph, runtime_json
from .test_hook import test_values
from .traffic import (
    gateway_api_values,
    gateway_namespaces,
    istio_values,
    mirror_percent,
    resolve_traffic,
    routing_values,
)

__all__ = [
    "compile_runtime",
    "compile_values",
    "config_hash",
    "graph_service",
    "runtime_json",
]


def compile_runtime(graph: Graph) -> dict[str, JSON]:
    """The runtime graph of every predictor, keyed by predictor name."""
    return {p.name: runtime_graph(graph, p) for p in graph.predictors}


def graph_service(graph: Graph) -> JSON:
    """One Service over every orchestrator of the graph: the host Istio routes to by subset."""
    selector = {
        "app.kubernetes.io/instance": graph.name,
        "app.kubernetes.io/component": "orchestrator",
    }
    return {
        "fullname": graph.name,
        "labels": {**graph_labels(graph), **selector},
        "annotations": dict(graph.annotations),
        "selectorLabels": selector,
        "ports": service_ports(),
    }


def compile_values(graph: Graph) -> JSON:
    """The values document of docs/contract.md, validated by schemas/values.schema.json."""
    serving = graph.serving
    pdb = serving.pod_disruption_budget
    weights = resolve_traffic(graph)
    predictors: dict[str, JSON] = {}
    for p in graph.predictors:
        runtime_text = runtime_json(runtime_graph(graph, p))
        predictors[p.name] = {
            "name": p.name,
            "fullname": orchestrator_fullname(graph, p),
            "traffic": weights[p.name],
            "shadow": p.shadow,
            "mirrorPercent": mirror_percent(p),
            "runtimeJson": runtime_text,
            "orchestrator": orchestrator_workload(graph, p, runtime_text, pdb),
            "nodes": {n.name: node_workload(graph, p, n, pdb) for n in p.graph.walk()},
        }
    return {
        "name": graph.name,
        "namespace": graph.namespace,
        "protocol": graph.protocol,
        "transport": graph.transport,
        "labels": graph_labels(graph),
        "annotations": dict(graph.annotations),
        "serviceAccount": {"create": True, "name": graph.name, "automountToken": False},
        "imagePullSecrets": [],
        "routing": routing_values(graph),
        "istio": istio_values(graph),
        "gatewayApi": gateway_api_values(graph),
        "networkPolicy": {
            "enabled": serving.network_policy,
            "gatewayNamespaces": gateway_namespaces(graph),
            "logClients": {
                receiver: [workload_labels(graph, p, None)[1] for p in senders]
                for receiver, senders in log_clients(graph).items()
            },
        },
        "serviceMonitor": {
            "enabled": serving.service_monitor,
            "interval": defaults.SERVICE_MONITOR_INTERVAL,
            "labels": {},
        },
        "graphService": graph_service(graph),
        "logSink": logsink_values(graph),
        "test": test_values(graph, weights),
        "predictors": predictors,
        "detectors": {d.name: detector_workload(graph, d) for d in graph.detectors},
    }
