"""Logger urls that name a part of the graph instead of an address: `detector:NAME`.

A node's `logger.url` (or the graph's `logging.url`) may be `detector:NAME`, one of
`spec.detectors`; the compiler writes in its place where that detector listens: its Service in
a cluster (the chart and jsonnet render it), or its loopback port under `infergraph up`. Any
other url passes unchanged. One table of schemes, so that another target (a log sink) is one
more entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import defaults
from ..model import Graph
from ..pointers import quote
from .detectors import detector_fullname

__all__ = ["DETECTOR", "resolve_target", "target_problem", "targets"]

#: the scheme of a logger url that names a detector
DETECTOR = "detector"


def targets(graph: Graph, addresses: Mapping[str, str] | None = None) -> dict[str, str]:
    """`detector:NAME` -> its URL for every detector: `http://G-NAME:9000/` (its Service, in
    the graph's namespace), or with `addresses` (detector name -> `host:port`, as
    `infergraph up` runs it) that address."""
    out = {}
    for detector in graph.detectors:
        if addresses is None:
            address = f"{detector_fullname(graph, detector)}:{defaults.HTTP_PORT}"
        else:
            address = addresses[detector.name]
        out[f"{DETECTOR}:{detector.name}"] = f"http://{address}/"
    return out


def resolve_target(url: str, known: Mapping[str, str]) -> str:
    """The address `url` stands for: a named target's URL, else `url` itself."""
    return known.get(url, url)


def target_problem(url: str, known: Mapping[str, str]) -> str | None:
    """What is wrong with a logger url naming a target that the graph does not declare."""
    scheme, colon, _ = url.partition(":")
    if scheme != DETECTOR or not colon or url in known:
        return None
    names = ", ".join(quote(k.partition(":")[2]) for k in known) or "none are declared"
    return (
        f"{quote(url)} names no detector of spec.detectors; expected {DETECTOR}:NAME "
        f"with NAME one of: {names}"
    )
