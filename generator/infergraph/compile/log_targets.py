"""Where payload-logging events go: a logger `url` is an http(s) URL or a target the graph deploys.

A target names a receiver of the graph itself: `sink` is its log sink (`spec.logging.sink`),
`detector:NAME` one of `spec.detectors`. Each is resolved here, and only here, for both places a
graph runs: its Service URL in the graph's namespace (`targets(graph)`, written into the
runtime graph by the chart and jsonnet values) and its loopback address under `infergraph up`
(`targets(graph, addresses)`). Another kind of target is one more entry in `targets`.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import defaults
from ..model import Graph, Node, Predictor
from ..naming import object_name
from ..pointers import quote
from ..urls import http_url_problem
from .detectors import detector_fullname

__all__ = [
    "DETECTOR",
    "SINK",
    "EffectiveLogger",
    "effective_logger",
    "log_clients",
    "resolve_target",
    "sink_fullname",
    "target_problem",
    "targets",
]

#: the target of the graph's own log sink
SINK = "sink"
#: the scheme of a target that names a detector: `detector:NAME`
DETECTOR = "detector"

EffectiveLogger = tuple[str, str]  # (mode, url as written: absolute or a target)


def sink_fullname(graph: Graph) -> str:
    """Deployment, Service (and PVC) name of the graph's log sink: `G-logsink`."""
    return object_name(graph.name, "logsink")


def _deployed(graph: Graph) -> list[tuple[str, str]]:
    """(target, object fullname) of every receiver the graph deploys."""
    out = []
    if graph.logging is not None and graph.logging.sink is not None:
        out.append((SINK, sink_fullname(graph)))
    for detector in graph.detectors:
        out.append((f"{DETECTOR}:{detector.name}", detector_fullname(graph, detector)))
    return out


def targets(graph: Graph, addresses: Mapping[str, str] | None = None) -> dict[str, str]:
    """Target -> its URL for every receiver the graph deploys: `http://FULLNAME:9000/` (its
    Service, in the graph's namespace), or with `addresses` (target -> `host:port`, as
    `infergraph up` runs it) that address."""
    return {
        target: f"http://{addresses[target]}/"
        if addresses is not None
        else f"http://{fullname}:{defaults.HTTP_PORT}/"
        for target, fullname in _deployed(graph)
    }


def log_clients(graph: Graph) -> dict[str, list[Predictor]]:
    """Fullname of every receiver the graph deploys -> the predictors (by name) whose
    orchestrators send it events: whom its NetworkPolicy admits. A receiver named by an absolute
    URL rather than its target is not counted (the compiler cannot tell it is ours)."""
    fullnames = dict(_deployed(graph))
    clients: dict[str, list[Predictor]] = {fullname: [] for fullname in fullnames.values()}
    for predictor in sorted(graph.predictors, key=lambda p: p.name):
        urls = {log[1] for n in predictor.graph.walk() if (log := effective_logger(graph, n))}
        for target in sorted(urls & fullnames.keys()):
            clients[fullnames[target]].append(predictor)
    return clients


def resolve_target(url: str, known: Mapping[str, str]) -> str:
    """The address `url` stands for: a target's URL, else `url` itself."""
    return known.get(url, url)


def target_problem(
    url: str, known: Mapping[str, str], sink_in: str = "spec.logging.sink"
) -> str | None:
    """What is wrong with a logger `url`, or None: it must be absolute http(s) or a target the
    graph deploys (`known`, from `targets`); `sink_in` says where a missing sink is declared."""
    if url in known:
        return None
    if url == SINK:
        return (
            f'"{SINK}" names the graph\'s log sink, which this graph does not deploy; '
            f"expected {sink_in} (spec.logging.sink: {{}}), or an http(s) URL"
        )
    scheme, colon, _ = url.partition(":")
    if scheme == DETECTOR and colon:
        names = ", ".join(quote(k.partition(":")[2]) for k in known if k != SINK)
        return (
            f"{quote(url)} names no detector of spec.detectors; expected {DETECTOR}:NAME "
            f"with NAME one of: {names or 'none are declared'}"
        )
    if http_url_problem(url) is None:
        return None
    return (
        f'"{url}" is neither an http:// or https:// URL with a host nor a target; expected e.g. '
        f'http://logger.seldon/, "{SINK}" (the graph\'s log sink) or "{DETECTOR}:NAME" (one of '
        "spec.detectors)"
    )


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
