"""Kubernetes' own limits are located errors at load time (issue 11, defect 7).

Each limit at its boundary: the largest accepted value loads, one more is a problem at the
exact pointer. The limits are Kubernetes' (1.30): 256 KiB of annotations per object, label
key prefixes of 253 characters, label values and resource names, 1 MiB of ConfigMap data,
DNS-1035 Service names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infergraph.compile.runtime import runtime_graph, runtime_json
from infergraph.errors import InvalidGraph, Problem, sorted_problems
from infergraph.loading import load_text
from infergraph.loading.limits import ANNOTATION_RESERVE, MAX_ANNOTATION_BYTES, MAX_CONFIGMAP_BYTES

from .docs import JSON, dump, native, problems

P0 = "/spec/predictors/0"
ROOM = MAX_ANNOTATION_BYTES - ANNOTATION_RESERVE
KEY = "example.com/note"


def _filler(total: int, key: str = KEY) -> dict[str, str]:
    """One annotation whose key and value take `total` bytes (a 2-byte character included)."""
    return {key: "é" + "x" * (total - len(key) - 2)}


def _with_componentspec(doc: JSON, **metadata: JSON) -> JSON:
    doc["spec"]["predictors"][0]["componentSpecs"] = [
        {"metadata": metadata, "spec": {"containers": [{"name": "clf"}]}}
    ]
    return doc


def test_graph_annotations_up_to_the_limit_load() -> None:
    doc = native()
    doc["metadata"]["annotations"] = _filler(ROOM)
    assert problems(doc) == []
    doc["metadata"]["annotations"] = _filler(ROOM + 1)
    [problem] = problems(doc)
    assert problem.startswith(
        f'/metadata/annotations: the objects of graph "iris" would carry {ROOM + 1} bytes'
    )
    assert f"expected at most {ROOM}" in problem


def test_annotations_add_up_per_object() -> None:
    half = ROOM // 2
    doc = native()
    doc["metadata"]["annotations"] = _filler(half, "a.io/graph")
    doc["spec"]["predictors"][0]["annotations"] = _filler(half, "a.io/predictor")
    assert problems(doc) == []
    doc["spec"]["predictors"][0]["annotations"] = _filler(half + 1, "a.io/predictor")
    [problem] = problems(doc)
    assert problem.startswith(f'{P0}/annotations: the objects of predictor "main" would carry')
    doc["spec"]["predictors"][0]["annotations"] = _filler(half - 10, "a.io/predictor")
    _with_componentspec(doc, annotations=_filler(11, "a.io/n"))
    [problem] = problems(doc)
    assert problem.startswith(
        f'{P0}/componentSpecs/0/metadata/annotations: the objects of nodes "clf"'
    )


def test_the_same_key_counts_once() -> None:
    doc = native()
    doc["metadata"]["annotations"] = _filler(ROOM)
    doc["spec"]["predictors"][0]["annotations"] = _filler(ROOM)  # overrides, adds nothing
    assert problems(doc) == []


def test_label_key_prefix_at_most_253() -> None:
    prefix = ".".join(["p" * 63] * 4)[:253]
    doc = native()
    doc["metadata"]["labels"] = {f"{prefix}/k": "v"}
    assert problems(doc) == []
    doc["metadata"]["labels"] = {f"{prefix}q/k": "v"}
    [problem] = problems(doc)
    assert problem.startswith(f"/metadata/labels/{prefix}q~1k: key ")
    assert "has a prefix of 254 characters; expected at most 253" in problem


def test_node_selector_keys_and_values_are_labels() -> None:
    doc = _with_componentspec(native())
    spec = doc["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
    spec["nodeSelector"] = {"kubernetes.io/os": "linux", "pool": "v" * 63, "empty": ""}
    assert problems(doc) == []
    spec["nodeSelector"] = {"": "x", "a/b/c": "x", "pool": "v" * 64, "zone": "a b"}
    at = f"{P0}/componentSpecs/0/spec/nodeSelector"
    found = problems(doc)
    assert [p.split(": ")[0] for p in found] == [
        f"{at}/",
        f"{at}/a~1b~1c",
        f"{at}/pool",
        f"{at}/zone",
    ]
    assert "is not a label key" in found[0] and "is not a label value" in found[3]


def test_resource_names_are_container_resources() -> None:
    doc = native()
    node = doc["spec"]["predictors"][0]["graph"]
    good = {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi", "hugepages-2Mi": "2Mi"}
    node["resources"] = {"limits": {**good, "example.com/fpga": "1"}}
    assert problems(doc) == []
    node["resources"] = {"requests": {"gpu": "1", "": "1"}}
    found = problems(doc)
    assert found[0].startswith(f'{P0}/graph/resources/requests/: resource "" is not a qualified')
    assert found[1].startswith(
        f'{P0}/graph/resources/requests/gpu: "gpu" is not a container resource'
    )


def test_graph_names_start_with_a_letter() -> None:
    doc = native()
    doc["metadata"]["name"] = "1iris"
    [problem] = problems(doc)
    assert problem.startswith('/metadata/name: "1iris" starts with a digit; expected a letter')


def _combiner_with(children: int) -> JSON:
    doc = native()
    doc["spec"]["predictors"][0]["graph"] = {
        "name": "all",
        "implementation": "AVERAGE_COMBINER",
        "children": [
            {"name": f"m{i}", "implementation": "SKLEARN_SERVER", "modelUri": "gs://b/m"}
            for i in range(children)
        ],
    }
    return doc


def test_runtime_graph_fits_one_configmap() -> None:
    """Grow one predictor until its runtime graph passes 1 MiB: a problem naming its size."""
    sizes = []
    for count in (10, 20):
        graph = load_text(dump(_combiner_with(count)), "g")
        sizes.append(len(runtime_json(runtime_graph(graph, graph.predictors[0]))))
    per_node = (sizes[1] - sizes[0]) / 10
    children = int((MAX_CONFIGMAP_BYTES - sizes[0]) / per_node) + 20
    with pytest.raises(InvalidGraph) as caught:
        load_text(dump(_combiner_with(children)), "g.yaml")
    [problem] = caught.value.problems
    assert problem.pointer == f"{P0}/graph" and problem.line is not None
    assert f"({children + 1} nodes)" in problem.message
    assert f"expected at most {MAX_CONFIGMAP_BYTES} (a ConfigMap's most)" in problem.message


def test_pointers_with_unicode_digits_sort() -> None:
    """A key such as "¹" is not an array index (str.isdigit says it is a digit)."""
    found = sorted_problems([Problem("g", "/a/¹", "x"), Problem("g", "/a/1", "y")])
    assert [p.pointer for p in found] == ["/a/1", "/a/¹"]


def test_a_one_mib_annotation_fails_render_validate_at_its_line(tmp_path: Path) -> None:
    doc = native()
    doc["metadata"]["annotations"] = {KEY: "x" * (1 << 20)}
    source = tmp_path / "big.yaml"
    source.write_text(dump(doc))
    done = subprocess.run(
        [sys.executable, "-m", "infergraph.cli", "render", str(source), "--validate"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{source}:5:3: /metadata/annotations: ")
