"""Rules each prepackaged implementation declares (schemas/implementations.json), on the model.

`parameter_problems` serves detectors too: their parameters are declared the same way.

What a node of implementation X may hold follows from X's declaration alone: the protocols it
answers, whether it needs a modelUri, and its parameters (names, types, required ones, ranges,
choices). Nothing here names an implementation.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Graph, Node, Parameter
from ..pointers import quote
from ..vocabulary import VOCABULARY, DetectorSpec, Implementation, ParameterSpec
from .rules import MODEL_URI_SCHEMES

__all__ = ["parameter_problems", "prepackaged_problems"]


def prepackaged_problems(graph: Graph) -> Iterator[tuple[str, str]]:
    """Every node of a declared implementation against its declaration; `spec.images` keys."""
    yield from _images(graph)
    for predictor in graph.predictors:
        for node in predictor.graph.walk():
            declared = VOCABULARY.implementations.get(node.implementation or "")
            if declared is not None:
                yield from _protocol(node, declared, graph.protocol)
                yield from _model_uri(node, declared)
                yield from parameter_problems(node.pointer, node.parameters, declared)


def _images(graph: Graph) -> Iterator[tuple[str, str]]:
    """Only implementations that run their own container take a graph-wide image."""
    own = [name for name, i in VOCABULARY.implementations.items() if i.container is not None]
    for name in graph.images:
        declared = VOCABULARY.implementations.get(name)
        if declared is None or declared.container is None:
            what = "runs in infergraph's server image" if declared else "is no implementation"
            yield (
                f"/spec/images/{name}",
                f"{quote(name)} {what}; expected an implementation that runs its own "
                f"container: {', '.join(own)}",
            )


def _protocol(node: Node, declared: Implementation, protocol: str) -> Iterator[tuple[str, str]]:
    if protocol not in declared.protocols:
        yield (
            f"{node.pointer}/implementation",
            f'{declared.name} does not answer the graph\'s protocol "{protocol}" '
            "(spec.protocol; omitted: seldon); expected spec.protocol: "
            f"{' or '.join(declared.protocols)}, or a custom container",
        )


def _model_uri(node: Node, declared: Implementation) -> Iterator[tuple[str, str]]:
    at, spec = f"{node.pointer}/modelUri", declared.model_uri
    if spec is None and node.model_uri is not None:
        yield at, f"is set on implementation {declared.name}, which loads no model; expected none"
    elif spec is not None and spec.required and node.model_uri is None:
        yield (
            at,
            f"required by implementation {declared.name}; expected the model location "
            f"({', '.join(MODEL_URI_SCHEMES)} or a local path)",
        )


def parameter_problems(
    at: str, parameters: tuple[Parameter, ...], declared: Implementation | DetectorSpec
) -> Iterator[tuple[str, str]]:
    """`parameters` (of the node or detector at `at`) against what `declared` accepts."""
    given = {p.name for p in parameters}
    for spec in declared.parameters.values():
        if spec.required and spec.name not in given:
            yield (
                f"{at}/parameters",
                f'has no "{spec.name}", which {declared.name} requires; expected a parameter '
                f"{{name: {spec.name}, type: {spec.type}, value: ...}} ({spec.description})",
            )
    known = ", ".join(declared.parameters) or "none"
    for parameter in parameters:
        found = declared.parameters.get(parameter.name)
        if found is None:
            yield (
                f"{parameter.pointer}/name",
                f"{quote(parameter.name)} is not a parameter of {declared.name}; "
                f"expected one of: {known}",
            )
            continue
        yield from _typed(parameter.type, parameter.value, parameter.pointer, found)


def _typed(kind: str, value: object, at: str, spec: ParameterSpec) -> Iterator[tuple[str, str]]:
    """The declared type (or one read by the same rule: FLOAT, DOUBLE), range and choices."""
    rule = VOCABULARY.parameter_types[spec.type].parse
    if VOCABULARY.parameter_types[kind].parse != rule:
        same = [t.name for t in VOCABULARY.parameter_types.values() if t.parse == rule]
        yield (
            f"{at}/type",
            f"{quote(kind)} is not the type of {spec.name}; expected {' or '.join(same)}",
        )
        return
    if value is None:  # did not parse: reported where it was parsed
        return
    if spec.enum is not None and value not in spec.enum:
        choices = ", ".join(quote(c) for c in spec.enum)
        yield f"{at}/value", f"{quote(value)} is not supported; expected one of: {choices}"
    low, high = spec.minimum, spec.maximum
    if isinstance(value, int | float) and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        bounds = f"at least {low}" if high is None else f"at most {high}"
        bounds = f"from {low} to {high}" if None not in (low, high) else bounds
        yield (
            f"{at}/value",
            f"{quote(value)} is out of range; expected {bounds} ({spec.description})",
        )
