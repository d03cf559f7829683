"""Where payload-logging events go: a logger `url` is an absolute http(s) URL or a symbolic target.

A symbolic target names a receiver the graph itself deploys: `sink` is the graph's log sink
(`spec.logging.sink`). Each is resolved here, and only here, for both places a graph runs:
the in-cluster Service URL (`cluster_targets`, written into the runtime graph) and the loopback
URL of its local process (`loopback_targets`, used by `infergraph up`). A new kind of target
(a detector, say) adds its name to `target_problem`, a line to each map, and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from .. import defaults
from ..model import Graph, Node
from ..naming import object_name

__all__ = [
    "SINK",
    "EffectiveLogger",
    "cluster_targets",
    "effective_logger",
    "loopback_targets",
    "resolve_url",
    "sink_fullname",
    "target_problem",
]

#: the symbolic target of the graph's own log sink
SINK = "sink"

EffectiveLogger = tuple[str, str]  # (mode, url as written: absolute or symbolic)


def target_problem(url: str) -> str | None:
    """What is wrong with a logger `url`, or None: it must be absolute http(s) or a target."""
    if url == SINK:
        return None
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    return (
        f'"{url}" is neither an http:// or https:// URL with a host nor "{SINK}"; '
        f'expected e.g. http://logger.seldon/ or "{SINK}" (the graph\'s log sink)'
    )


def sink_fullname(graph: Graph) -> str:
    """Deployment, Service (and PVC) name of the graph's log sink: `G-logsink`."""
    return object_name(graph.name, "logsink")


def cluster_targets(graph: Graph) -> dict[str, str]:
    """Symbolic target -> the URL of its Service inside the cluster (same namespace)."""
    return {SINK: f"http://{sink_fullname(graph)}:{defaults.HTTP_PORT}/"}


def loopback_targets(sink_port: int | None) -> dict[str, str]:
    """Symbolic target -> the URL of its process under `infergraph up` (None: not running)."""
    return {} if sink_port is None else {SINK: f"http://127.0.0.1:{sink_port}/"}


def resolve_url(url: str, targets: Mapping[str, str]) -> str:
    """The URL events are POSTed to: a symbolic target's, else `url` as written."""
    return targets.get(url, url)


def effective_logger(graph: Graph, node: Node) -> EffectiveLogger | None:
    """(mode, url) of a node: its own `logger` over `spec.logging`; None: not logged.

    A url left open falls to `spec.logging.url`, then to the graph's sink, then to Seldon's
    default broker, so a SeldonDeployment's `logger: {mode: all}` keeps its meaning.
    """
    logging, own = graph.logging, node.logger
    mode: str
    if own is not None:
        mode, url = own.mode, own.url
    elif logging is not None and logging.mode != "none":
        mode, url = logging.mode, None
    else:
        return None
    if url is None and logging is not None:
        url = logging.url or (SINK if logging.sink is not None else None)
    return mode, url or defaults.LOGGER_URL
