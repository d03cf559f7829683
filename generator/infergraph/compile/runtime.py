"""The runtime graph an orchestrator walks: its ConfigMap in a cluster, a file under `up`."""

from __future__ import annotations

import hashlib
import json

from .. import defaults
from ..model import Graph, Node, Predictor
from ..pointers import JSON
from .log_targets import effective_logger, resolve_target, targets
from .nodes import health_paths, node_fullname, node_image, orchestrator_fullname

__all__ = ["SELDON_ONLY", "config_hash", "predictor_logs", "runtime_graph", "runtime_json"]


def _timeout_ms(graph: Graph) -> int:
    chosen = graph.serving.grpc_timeout_ms if graph.transport == "grpc" else None
    return chosen or graph.serving.rest_timeout_ms or defaults.NODE_TIMEOUT_MS


#: node types with no V2 call (route, aggregate): called over the Seldon protocol in any graph
SELDON_ONLY = ("ROUTER", "COMBINER")


def _logger(graph: Graph, node: Node) -> JSON:
    """The node's `{mode, url}` with its target resolved to a cluster URL; None: not logged."""
    logger = effective_logger(graph, node)
    if logger is None:
        return None
    return {"mode": logger[0], "url": resolve_target(logger[1], targets(graph))}


def predictor_logs(graph: Graph, predictor: Predictor) -> bool:
    """True when some node of the predictor is logged (its orchestrator sends events)."""
    return any(effective_logger(graph, n) is not None for n in predictor.graph.walk())


def _logging(graph: Graph, predictor: Predictor) -> JSON:
    """How the orchestrator sends its events (queue, senders, retries); None: it sends none."""
    if not predictor_logs(graph, predictor):
        return None
    declared = graph.logging
    return {
        "sampleRate": defaults.LOG_SAMPLE_RATE if declared is None else declared.sample_rate,
        "queueSize": defaults.LOG_QUEUE_SIZE if declared is None else declared.queue_size,
        "senders": defaults.LOG_SENDERS,
        "retries": defaults.LOG_RETRIES,
        "backoffMs": defaults.LOG_BACKOFF_MS,
        "timeoutMs": defaults.LOG_TIMEOUT_MS,
        "source": f"http://{orchestrator_fullname(graph, predictor)}:{defaults.HTTP_PORT}/",
    }


def _runtime_node(graph: Graph, predictor: Predictor, node: Node, timeout_ms: int) -> JSON:
    paths = health_paths(graph, node)
    return {
        "name": node.name,
        "type": node.type,
        "implementation": node.implementation,
        "image": node_image(graph, node),
        "host": node_fullname(graph, predictor, node),
        "httpPort": defaults.HTTP_PORT,
        "grpcPort": defaults.GRPC_PORT,
        "protocol": "seldon" if node.type in SELDON_ONLY else graph.protocol,
        "readinessPath": None if paths is None else paths[1],
        "fallback": node.fallback,
        "timeoutMs": timeout_ms,
        "retries": defaults.NODE_RETRIES,
        "logger": _logger(graph, node),
        "children": [_runtime_node(graph, predictor, c, timeout_ms) for c in node.children],
    }


def runtime_graph(graph: Graph, predictor: Predictor) -> JSON:
    return {
        "graph": graph.name,
        "predictor": predictor.name,
        "predictorVersion": predictor.annotations.get("version", ""),
        "protocol": graph.protocol,
        "transport": graph.transport,
        "maxConcurrency": defaults.MAX_CONCURRENCY,
        "maxBodyBytes": graph.serving.grpc_max_message_size or defaults.MAX_BODY_BYTES,
        "probePeriodMs": defaults.NODE_PROBE_PERIOD_MS,
        # the numbers of the nodes' own readiness probes: the orchestrator takes a node out
        # on the evidence the kubelet takes it out of its Service on, not on less
        "probeTimeoutMs": defaults.PROBE_TIMEOUT_SECONDS * 1000,
        "probeFailureThreshold": defaults.PROBE_FAILURE_THRESHOLD,
        "logging": _logging(graph, predictor),
        "root": _runtime_node(graph, predictor, predictor.graph, _timeout_ms(graph)),
    }


def runtime_json(runtime: JSON) -> str:
    """The canonical text of a runtime graph: what the ConfigMap holds and the hash covers."""
    return json.dumps(runtime, sort_keys=True, separators=(",", ":"))


def config_hash(text: str) -> str:
    """The orchestrator's pod annotation: a new runtime graph text rolls its pods."""
    return hashlib.sha256(text.encode()).hexdigest()
