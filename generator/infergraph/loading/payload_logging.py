"""Payload logging in the definition: node `logger`s (Seldon Core v1) and `spec.logging`.

Read while the model is built (schema-valid input), checked once the graph is whole: every
url must be an http(s) URL or a target the graph deploys (compile/log_targets.py), and the log
sink's object name must not be an orchestrator's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .. import defaults
from ..compile.log_targets import sink_fullname, target_problem, targets
from ..compile.nodes import orchestrator_fullname
from ..model import Graph, Logger, Logging, LogSink, Resources
from ..pointers import JSON

__all__ = ["logging_problems", "read_logger", "read_logging"]


def read_logger(raw: Mapping[str, JSON] | None, at: str) -> Logger | None:
    """A node's `logger`; its mode defaults as Seldon's does (all), its url stays open."""
    if raw is None:
        return None
    return Logger(mode=raw.get("mode", defaults.LOGGER_MODE), url=raw.get("url"), pointer=at)


def _quantity(value: JSON) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def read_logging(spec: Mapping[str, JSON], resources: Resources | None) -> Logging | None:
    """`spec.logging` with its defaults; `resources` are the sink's, already read."""
    raw = spec.get("logging")
    if raw is None:
        return None
    at = "/spec/logging"
    sink = None
    if "sink" in raw:
        storage = raw["sink"].get("storage")
        sink = LogSink(
            pointer=f"{at}/sink",
            storage_size=None if storage is None else _quantity(storage["size"]),
            storage_class=None if storage is None else storage.get("storageClassName"),
            resources=resources,
        )
    return Logging(
        pointer=at,
        url=raw.get("url"),
        mode=raw.get("mode", defaults.LOGGER_MODE),
        sample_rate=float(raw.get("sampleRate", defaults.LOG_SAMPLE_RATE)),
        queue_size=int(raw.get("queueSize", defaults.LOG_QUEUE_SIZE)),
        sink=sink,
    )


def _url_problems(url: str | None, at: str, graph: Graph) -> Iterator[tuple[str, str]]:
    if url is None:
        return
    sink_in = "spec.logging.sink" if graph.kind == "InferenceGraph" else "an InferenceGraph"
    problem = target_problem(url, targets(graph), sink_in)
    if problem is not None:
        yield f"{at}/url", problem


def logging_problems(graph: Graph) -> Iterator[tuple[str, str]]:
    """Logger urls that go nowhere, and a log sink whose name an orchestrator already has."""
    logging = graph.logging
    if logging is not None:
        yield from _url_problems(logging.url, logging.pointer, graph)
    for predictor in graph.predictors:
        for node in predictor.graph.walk():
            if node.logger is not None:
                yield from _url_problems(node.logger.url, node.logger.pointer, graph)
        if logging is not None and logging.sink is not None:
            name = sink_fullname(graph)
            if orchestrator_fullname(graph, predictor) == name:
                yield (
                    f"{predictor.pointer}/name",
                    f'"{predictor.name}" gives its orchestrator the name "{name}", which the '
                    "log sink (spec.logging.sink) has; expected another predictor name",
                )
