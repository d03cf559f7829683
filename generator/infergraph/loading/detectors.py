"""`spec.detectors`: built into the model, then checked against their declarations.

A detector is not a graph node: it is a server of its own that the payload-log stream feeds
(a logger url `detector:NAME`). What it may hold follows from its declaration in
schemas/implementations.json alone (reference data, parameters); nothing here names one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..compile.detectors import detector_fullname
from ..compile.log_targets import sink_fullname
from ..compile.nodes import node_fullname, orchestrator_fullname
from ..errors import Findings
from ..model import Detector, Graph
from ..pointers import JSON, quote
from ..urls import http_url_problem
from ..vocabulary import VOCABULARY
from .fields import read_parameters, read_resources
from .prepackaged import parameter_problems
from .rules import model_uri_problem

__all__ = ["detector_problems", "read_detectors"]


def read_detectors(raws: list[Mapping[str, JSON]], findings: Findings) -> tuple[Detector, ...]:
    """The detectors of a schema-valid `spec.detectors` list, field problems in `findings`."""
    out = []
    for i, raw in enumerate(raws):
        at = f"/spec/detectors/{i}"
        uri: str = raw["modelUri"]
        if problem := model_uri_problem(uri):
            findings.error(f"{at}/modelUri", problem)
        events_url: str | None = raw.get("eventsUrl")
        if events_url is not None and (wrong := http_url_problem(events_url)):
            findings.error(
                f"{at}/eventsUrl",
                f"{quote(events_url)} {wrong}; expected where findings go, e.g. "
                "http://alerts.monitoring/ or https://alerts.example.com/detector",
            )
        out.append(
            Detector(
                name=raw["name"],
                implementation=raw["implementation"],
                model_uri=uri,
                pointer=at,
                env_secret_ref=raw.get("envSecretRefName"),
                parameters=read_parameters(raw.get("parameters", []), at, findings, "detector"),
                events_url=events_url,
                resources=read_resources(raw.get("resources"), f"{at}/resources", findings),
            )
        )
    return tuple(out)


def _workload_names(graph: Graph) -> dict[str, str]:
    """The Deployment name of every orchestrator, node and the log sink, and the pointer of
    its source."""
    names = {}
    if graph.logging is not None and graph.logging.sink is not None:
        names[sink_fullname(graph)] = graph.logging.sink.pointer
    for predictor in graph.predictors:
        names[orchestrator_fullname(graph, predictor)] = predictor.pointer
        for node in predictor.graph.walk():
            names[node_fullname(graph, predictor, node)] = node.pointer
    return names


def detector_problems(graph: Graph) -> Iterator[tuple[str, str]]:
    """Unique names, object names apart from the graph's other workloads, and each
    detector's parameters against its declaration."""
    taken = _workload_names(graph)
    seen: dict[str, str] = {}
    for detector in graph.detectors:
        if detector.name in seen:
            yield (
                f"{detector.pointer}/name",
                f'"{detector.name}" is already used at {seen[detector.name]}; '
                "expected unique detector names",
            )
        seen.setdefault(detector.name, detector.pointer)
        fullname = detector_fullname(graph, detector)
        if fullname in taken:
            yield (
                f"{detector.pointer}/name",
                f'"{detector.name}" names its Deployment and Service "{fullname}", as the '
                f"workload of {taken[fullname]} is named; expected another detector name",
            )
        declared = VOCABULARY.detectors[detector.implementation]
        yield from parameter_problems(detector.pointer, detector.parameters, declared)
