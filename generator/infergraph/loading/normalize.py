"""Build the typed model from a schema-valid document, checking each field as it is read.

Both document kinds arrive here in one shape (the schema shares its predictor and node
definitions). componentSpecs containers are matched to graph nodes by name, as Seldon does;
each node takes its image, env and resources from its container, and pod-level settings,
replicas and `hpaSpec`/`kedaSpec` (scaling.py) from the componentSpec that holds it. A setting
given both on the node and in its componentSpec is an error, not a silent precedence rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..defaults import DEFAULT_PROTOCOL, DEFAULT_TRANSPORT
from ..errors import Findings
from ..model import (
    Graph,
    Node,
    Orchestrator,
    Predictor,
)
from ..pointers import JSON
from ..vocabulary import VOCABULARY
from .batching import node_batching
from .detectors import read_detectors
from .fields import read_parameters, read_resources
from .payload_logging import read_logger, read_logging
from .rules import model_uri_problem
from .scaling import read_autoscaling
from .seldon import read_annotations
from .serving import serving_options

__all__ = ["build"]


@dataclass(frozen=True)
class _Slot:
    """A componentSpecs container and the componentSpec that holds it."""

    container: Mapping[str, JSON]
    pointer: str
    spec: Mapping[str, JSON]
    spec_pointer: str


def _int(value: JSON) -> int | None:
    return None if value is None else int(value)


def _clash(at: str, other_at: str, findings: Findings) -> None:
    findings.error(at, f"is also set at {other_at}; expected it in one place")


def _once(
    name: str,
    node: Mapping[str, JSON],
    at: str,
    other: Mapping[str, JSON],
    other_at: str,
    findings: Findings,
) -> tuple[JSON, str]:
    """The value of `name` from the node or its container/componentSpec, and where it was."""
    if name in node and name in other:
        _clash(f"{at}/{name}", f"{other_at}/{name}", findings)
    if name in node:
        return node[name], f"{at}/{name}"
    return other.get(name), f"{other_at}/{name}"


class _Builder:
    """Builds one predictor's nodes, consuming its componentSpecs containers by name."""

    def __init__(self, slots: dict[str, _Slot], findings: Findings) -> None:
        self.slots, self.findings, self.used = slots, findings, set[str]()

    def node(self, raw: Mapping[str, JSON], at: str) -> Node:
        findings, name = self.findings, raw["name"]
        implementation = raw.get("implementation")
        implied = VOCABULARY.implementations[implementation].type if implementation else None
        declared = raw.get("type")
        if implied and declared and declared != implied:
            findings.error(
                f"{at}/type",
                f'"{declared}" does not match implementation {implementation}; '
                f"expected {implied} or no type",
            )
        slot = self.slots.get(name)
        if slot is not None:
            self.used.add(name)
        container, c_at = (slot.container, slot.pointer) if slot else ({}, at)
        group, g_at = (slot.spec, slot.spec_pointer) if slot else ({}, at)
        pod = group.get("spec", {})
        metadata = group.get("metadata", {})

        image = self.image(raw, at, container, c_at)
        env = tuple(container.get("env", ()))
        batching, env = node_batching(raw, at, env, f"{c_at}/env", findings)
        resources, resources_at = _once("resources", raw, at, container, c_at, findings)
        replicas, _ = _once("replicas", raw, at, group, g_at, findings)
        model_uri = self.model_uri(raw, at)
        children = raw.get("children", [])
        return Node(
            name=name,
            type=declared or implied or "MODEL",
            pointer=at,
            implementation=implementation,
            model_uri=model_uri,
            env_secret_ref=raw.get("envSecretRefName"),
            parameters=read_parameters(raw.get("parameters", []), at, findings),
            children=tuple(self.node(c, f"{at}/children/{i}") for i, c in enumerate(children)),
            image=image,
            image_pull_policy=container.get("imagePullPolicy"),
            env=env,
            resources=read_resources(resources, resources_at, findings),
            replicas=_int(replicas),
            autoscaling=read_autoscaling(raw, at, group, g_at, findings),
            endpoint_type=raw.get("endpoint", {}).get("type"),
            fallback=raw.get("fallback", False),
            batching=batching,
            logger=read_logger(raw.get("logger"), f"{at}/logger"),
            termination_grace_period_seconds=_int(pod.get("terminationGracePeriodSeconds")),
            node_selector=dict(pod.get("nodeSelector", {})),
            tolerations=tuple(pod.get("tolerations", ())),
            runtime_class_name=pod.get("runtimeClassName"),
            labels=dict(metadata.get("labels", {})),
            annotations=dict(metadata.get("annotations", {})),
        )

    def image(
        self, raw: Mapping[str, JSON], at: str, container: Mapping[str, JSON], c_at: str
    ) -> str | None:
        """A custom node's image (node or container); prepackaged nodes have none, except
        those whose implementation runs its own container: for them it overrides its image."""
        image, image_at = _once("image", raw, at, container, c_at, self.findings)
        implementation, name = raw.get("implementation"), raw["name"]
        if implementation and VOCABULARY.implementations[implementation].container:
            return None if image is None else str(image)
        if implementation and image is not None:
            self.findings.error(
                image_at,
                f"is set on a node with implementation {implementation}, which runs on "
                "infergraph's server image; expected no image, or no implementation",
            )
        if not implementation and image is None:
            self.findings.error(
                at,
                f'node "{name}" has no implementation and no image; expected an implementation '
                f"({', '.join(VOCABULARY.implementations)}), an image, or a componentSpecs "
                f'container "{name}" with an image',
            )
        return None if implementation else image

    def model_uri(self, raw: Mapping[str, JSON], at: str) -> str | None:
        uri: str | None = raw.get("modelUri")
        if uri is not None and (problem := model_uri_problem(uri)):
            self.findings.error(f"{at}/modelUri", problem)
        return uri


def _slots(specs: list[Mapping[str, JSON]], at: str, findings: Findings) -> dict[str, _Slot]:
    slots: dict[str, _Slot] = {}
    for i, group in enumerate(specs):
        g_at = f"{at}/componentSpecs/{i}"
        for j, container in enumerate(group["spec"]["containers"]):
            c_at, name = f"{g_at}/spec/containers/{j}", container["name"]
            if name in slots:
                findings.error(
                    f"{c_at}/name",
                    f'"{name}" is already a container at {slots[name].pointer}; '
                    "expected one container per graph node",
                )
            else:
                slots[name] = _Slot(container, c_at, group, g_at)
    return slots


def _predictor(raw: Mapping[str, JSON], at: str, findings: Findings) -> Predictor:
    slots = _slots(raw.get("componentSpecs", []), at, findings)
    builder = _Builder(slots, findings)
    graph = builder.node(raw["graph"], f"{at}/graph")
    nodes = ", ".join(f'"{node.name}"' for node in graph.walk())
    for name, slot in slots.items():
        if name not in builder.used:
            findings.error(
                f"{slot.pointer}/name",
                f'"{name}" matches no graph node; expected the name of a node: {nodes}',
            )
    given = raw.get("annotations", {})
    where = dict.fromkeys(given, f"{at}/annotations")
    _, annotations = read_annotations(given, where, findings, graph_level=False)
    orchestrator = raw.get("svcOrchSpec", {})
    return Predictor(
        name=raw["name"],
        graph=graph,
        pointer=at,
        replicas=_int(raw.get("replicas")),
        traffic=_int(raw.get("traffic")),
        shadow=bool(raw.get("shadow", False)),
        labels=dict(raw.get("labels", {})),
        annotations=annotations,
        orchestrator=Orchestrator(
            env=tuple(orchestrator.get("env", ())),
            resources=read_resources(
                orchestrator.get("resources"), f"{at}/svcOrchSpec/resources", findings
            ),
            replicas=_int(orchestrator.get("replicas")),
        ),
    )


def build(data: Mapping[str, JSON], source: str, findings: Findings) -> Graph:
    """The model of a schema-valid document; problems and warnings go to `findings`."""
    metadata, spec = data["metadata"], data["spec"]
    if data["kind"] == "SeldonDeployment" and "name" in spec:
        findings.warn(
            "/spec/name", "is deprecated by Seldon and ignored; metadata.name names the graph"
        )
    serving, annotations = serving_options(data, findings)
    predictors = spec["predictors"]
    sink_at = "/spec/logging/sink/resources"
    sink_resources = spec.get("logging", {}).get("sink", {}).get("resources")
    return Graph(
        name=metadata["name"],
        source=source,
        predictors=tuple(
            _predictor(raw, f"/spec/predictors/{i}", findings) for i, raw in enumerate(predictors)
        ),
        namespace=metadata.get("namespace"),
        labels=dict(metadata.get("labels", {})),
        annotations=annotations,
        protocol=spec.get("protocol", DEFAULT_PROTOCOL),
        transport=spec.get("transport", DEFAULT_TRANSPORT),
        serving=serving,
        images=dict(spec.get("images", {})),
        logging=read_logging(spec, read_resources(sink_resources, sink_at, findings)),
        kind=data["kind"],
        detectors=read_detectors(spec.get("detectors", []), findings),
    )
