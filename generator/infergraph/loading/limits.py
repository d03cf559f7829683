"""Kubernetes' own limits on what a graph puts into objects, checked while loading.

A definition that breaks one of these validates and renders, then fails at `kubectl apply`.
The schema checks each label and annotation by itself; these rules need sums, key parts or
fields it leaves free. Each follows the API server's validation (Kubernetes 1.30):
- annotations: keys and values of one object total at most 256 KiB (apimachinery
  ValidateAnnotationsSize, bytes of UTF-8), less what the chart adds itself;
- label, annotation, nodeSelector and resource keys: qualified names, the prefix a DNS-1123
  subdomain of at most 253 characters (IsQualifiedName); nodeSelector values: label values;
- container resources: cpu, memory, ephemeral-storage, hugepages-<size>, or a prefixed name;
- ConfigMap data: at most 1 MiB in total (ValidateConfigMap, MaxSecretSize): the runtime graph;
- Service names: DNS-1035 labels, so the graph name (first part of every Service name) and a
  `seldon.io/svc-name` start with a letter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..compile.runtime import runtime_graph, runtime_json
from ..model import Graph, Predictor
from ..naming import MAX_PREFIX, is_label_value, is_qualified_name
from ..pointers import JSON, pointer, quote

__all__ = [
    "ANNOTATION_RESERVE",
    "MAX_ANNOTATION_BYTES",
    "MAX_CONFIGMAP_BYTES",
    "limit_problems",
]

#: Kubernetes' cap on one object's annotations, keys and values together, in bytes.
MAX_ANNOTATION_BYTES = 256 * 1024
#: Kept for annotations the chart adds to objects that carry the user's (helm's test hook).
ANNOTATION_RESERVE = 1024
#: Kubernetes' cap on a ConfigMap's data, in bytes.
MAX_CONFIGMAP_BYTES = 1024 * 1024
_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_QUALIFIED = (
    "expected an optional DNS subdomain prefix of at most 253 characters and '/', then 1 to 63 "
    "letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
)

Found = Iterator[tuple[str, str]]


def limit_problems(data: JSON, graph: Graph) -> Found:
    """Every limit broken by a schema-valid document `data` and the graph built from it."""
    yield from _service_names(graph)
    for at, mapping in _metadata_maps(data):
        yield from _prefix_lengths(at, mapping)
    for at, selector in _node_selectors(data):
        yield from _node_selector(at, selector)
    for at, resources in _resources(data):
        yield from _resource_names(at, resources)
    yield from _annotation_totals(data, graph)
    for predictor in graph.predictors:
        yield from _runtime_size(graph, predictor)


def _service_names(graph: Graph) -> Found:
    if not graph.name[:1].isalpha():
        yield (
            "/metadata/name",
            (
                f"{quote(graph.name)} starts with a digit; expected a letter first: Service names "
                "(which start with the graph name) are DNS-1035 labels"
            ),
        )
    svc = graph.serving.svc_name
    if svc is not None and not svc[:1].isalpha():
        yield (
            "/metadata/annotations/seldon.io~1svc-name",
            (f"{quote(svc)} starts with a digit; expected a letter first (a DNS-1035 label)"),
        )


def _predictors(data: JSON) -> list[JSON]:
    predictors: list[JSON] = data["spec"]["predictors"]
    return predictors


def _metadata_maps(data: JSON) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Every labels and annotations mapping of the document, with its pointer."""
    places: list[tuple[str, JSON]] = [("/metadata", data.get("metadata", {}))]
    places.append(("/spec", {"annotations": data["spec"].get("annotations", {})}))
    for i, predictor in enumerate(_predictors(data)):
        places.append((f"/spec/predictors/{i}", predictor))
        for j, spec in enumerate(predictor.get("componentSpecs", [])):
            places.append(
                (f"/spec/predictors/{i}/componentSpecs/{j}/metadata", spec.get("metadata", {}))
            )
    for at, holder in places:
        for field in ("labels", "annotations"):
            if holder.get(field):
                yield f"{at}/{field}", holder[field]


def _prefix_lengths(at: str, mapping: Mapping[str, str]) -> Found:
    """The schema checks the syntax of keys; not the length of their prefix."""
    for key in mapping:
        prefix, slash, _ = key.rpartition("/")
        if slash and len(prefix) > MAX_PREFIX:
            yield (
                f"{at}{pointer([key])}",
                (
                    f"key {quote(key)} has a prefix of {len(prefix)} characters; expected at most "
                    f"{MAX_PREFIX} before the '/' (a DNS subdomain)"
                ),
            )


def _node_selectors(data: JSON) -> Iterator[tuple[str, Mapping[str, str]]]:
    for i, predictor in enumerate(_predictors(data)):
        for j, spec in enumerate(predictor.get("componentSpecs", [])):
            selector = spec["spec"].get("nodeSelector")
            if selector:
                yield f"/spec/predictors/{i}/componentSpecs/{j}/spec/nodeSelector", selector


def _node_selector(at: str, selector: Mapping[str, str]) -> Found:
    for key, value in selector.items():
        where = f"{at}{pointer([key])}"
        if not is_qualified_name(key):
            yield where, f"key {quote(key)} is not a label key; {_QUALIFIED}"
        if not is_label_value(value):
            yield (
                where,
                (
                    f"{quote(value)} is not a label value; expected at most 63 letters, digits, "
                    "'-', '_' or '.', starting and ending with a letter or digit"
                ),
            )


def _resources(data: JSON) -> Iterator[tuple[str, JSON]]:
    """Every `resources` object: on graph nodes, orchestrators and componentSpec containers."""
    for i, predictor in enumerate(_predictors(data)):
        at = f"/spec/predictors/{i}"
        nodes = [(f"{at}/graph", predictor["graph"])]
        while nodes:
            where, node = nodes.pop()
            if "resources" in node:
                yield f"{where}/resources", node["resources"]
            nodes += [(f"{where}/children/{k}", c) for k, c in enumerate(node.get("children", []))]
        if "resources" in predictor.get("svcOrchSpec", {}):
            yield f"{at}/svcOrchSpec/resources", predictor["svcOrchSpec"]["resources"]
        for j, spec in enumerate(predictor.get("componentSpecs", [])):
            for k, container in enumerate(spec["spec"]["containers"]):
                if "resources" in container:
                    where = f"{at}/componentSpecs/{j}/spec/containers/{k}/resources"
                    yield where, container["resources"]


def _resource_names(at: str, resources: JSON) -> Found:
    for part in ("requests", "limits"):
        for key in resources.get(part, {}):
            where = f"{at}/{part}{pointer([key])}"
            if not is_qualified_name(key):
                yield where, f"resource {quote(key)} is not a qualified name; {_QUALIFIED}"
            elif "/" not in key and not (
                key in _STANDARD_RESOURCES or key.startswith("hugepages-")
            ):
                yield (
                    where,
                    (
                        f"{quote(key)} is not a container resource; expected cpu, memory, "
                        "ephemeral-storage, hugepages-<size> or a prefixed name (nvidia.com/gpu)"
                    ),
                )


def _size(annotations: Mapping[str, str]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())


def _too_many(annotations: Mapping[str, str], whose: str) -> str | None:
    limit = MAX_ANNOTATION_BYTES - ANNOTATION_RESERVE
    size = _size(annotations)
    if size <= limit:
        return None
    return (
        f"the objects of {whose} would carry {size} bytes of annotations (keys and values, "
        f"the graph's included); expected at most {limit}: Kubernetes allows "
        f"{MAX_ANNOTATION_BYTES} per object, {ANNOTATION_RESERVE} are kept for the chart's own"
    )


def _annotation_totals(data: JSON, graph: Graph) -> Found:
    """Graph annotations go on every object, a predictor's on its objects, a componentSpec's
    on its nodes' objects: each object carries the union. One report, at the first level that
    passes the limit."""
    wrong = _too_many(graph.annotations, f'graph "{graph.name}"')
    if wrong is not None:
        yield "/metadata/annotations", wrong
        return
    for predictor, raw in zip(graph.predictors, _predictors(data), strict=True):
        union = {**graph.annotations, **predictor.annotations}
        wrong = _too_many(union, f'predictor "{predictor.name}"')
        if wrong is not None:
            yield f"{predictor.pointer}/annotations", wrong
            continue
        for j, spec in enumerate(raw.get("componentSpecs", [])):
            own = spec.get("metadata", {}).get("annotations", {})
            names = ", ".join(f'"{c["name"]}"' for c in spec["spec"]["containers"])
            wrong = _too_many({**union, **own}, f"nodes {names}")
            if wrong is not None:
                yield f"{predictor.pointer}/componentSpecs/{j}/metadata/annotations", wrong


def _runtime_size(graph: Graph, predictor: Predictor) -> Found:
    size = len(runtime_json(runtime_graph(graph, predictor)).encode())
    if size > MAX_CONFIGMAP_BYTES:
        count = len(predictor.graph.walk())
        yield (
            f"{predictor.pointer}/graph",
            (
                f'the runtime graph of predictor "{predictor.name}" ({count} nodes) is {size} '
                f"bytes of JSON; expected at most {MAX_CONFIGMAP_BYTES} (a ConfigMap's most): "
                "split the graph over predictors or graphs"
            ),
        )
