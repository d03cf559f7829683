"""The text of jsonnet/defaults.libsonnet, from the compiler's defaults (`make schemas`).

The jsonnet prototypes build values by hand, so they need every default and every fixed
fragment (ports, probes, security contexts, storage) the compiler writes. They get them from
this one generated file instead of copies; tests/jsonnet fails when it is stale.

tools/generate.py writes it beside the chart's generated files and checks it is fresh.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from infergraph import defaults
from infergraph.compile import containers, nodes, scaling, storage
from infergraph.compile.test_hook import test_values
from infergraph.model import Graph, Node, Predictor
from infergraph.vocabulary import VOCABULARY

__all__ = ["TARGET", "defaults_libsonnet"]

TARGET = Path(__file__).resolve().parents[1] / "jsonnet" / "defaults.libsonnet"
HEADER = (
    "// Generated from generator/infergraph/defaults.py (and the fragments the compiler builds"
    " from it)\n// by tools/gen_jsonnet_defaults.py (`make schemas`); do not edit.\n"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _storage(uri: str) -> dict[str, Any]:
    """What the compiler gives a node whose modelUri is `uri` (a placeholder to substitute)."""
    found = storage.model_storage(uri)
    return {
        "path": found.path,
        "volumes": found.volumes,
        "mounts": found.mounts,
        "initContainers": found.init_containers,
    }


def _test() -> dict[str, Any]:
    """The test hook's values that do not depend on the graph (Seldon protocol, as prototypes)."""
    node = Node(name="n", type="MODEL", pointer="", image="i")
    graph = Graph(name="g", source="", predictors=(Predictor(name="p", graph=node, pointer=""),))
    found = test_values(graph, {"p": 100})
    return {key: found[key] for key in ("enabled", "image", "path", "request", "command")}


def _data() -> dict[str, Any]:
    constants = {name: getattr(defaults, name) for name in defaults.__all__}
    return {
        "constants": {k: list(v) if isinstance(v, tuple) else v for k, v in constants.items()},
        "prepackaged": {"model": "SKLEARN_SERVER", "abTest": "RANDOM_ABTEST"}
        | {"bandit": "EPSILON_GREEDY", "combiner": "AVERAGE_COMBINER"},
        # the image each implementation's nodes run (its declared variant of ours)
        "images": {
            name: nodes.server_image(spec.image_variant)
            for name, spec in VOCABULARY.implementations.items()
        },
        "containerPorts": containers.container_ports(),
        "servicePorts": containers.service_ports(),
        "podSecurityContext": containers.pod_security_context(),
        "containerSecurityContext": containers.container_security_context(),
        "prometheusAnnotations": containers.prometheus_annotations(),
        "scratch": dict(zip(("volume", "mount"), containers.scratch_volume(), strict=True)),
        "probes": {
            "v2": containers.http_probes("/v2/health/live", "/v2/health/ready"),
            "seldon": containers.http_probes("/health/ping", "/health/status"),
        },
        "strategy": {"cpu": scaling.rollout_strategy(0), "gpu": scaling.rollout_strategy(1)},
        "gpuToleration": nodes.GPU_TOLERATION,
        "remoteSchemes": list(storage.REMOTE_SCHEMES),
        # The placeholder URIs below are replaced by the node's own (prototypes.libsonnet).
        "storage": {"remote": _storage("gs://MODEL_URI"), "pvc": _storage("pvc://CLAIM/PATH")},
        "test": _test(),
    }


def _jsonnet(value: Any, indent: str = "") -> str:
    """Jsonnet text in jsonnetfmt's style (single quotes, bare keys, trailing commas)."""
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        keys = [k if _IDENTIFIER.match(k) else _quote(k) for k in value]
        items = [
            f"{inner}{k}: {_jsonnet(v, inner)},\n"
            for k, v in zip(keys, value.values(), strict=True)
        ]
        return "{\n" + "".join(items) + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{inner}{_jsonnet(v, inner)},\n" for v in value) + indent + "]"
    if isinstance(value, str):
        return _quote(value)
    return json.dumps(value)


def _quote(text: str) -> str:
    return "'" + json.dumps(text)[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


def defaults_libsonnet() -> str:
    """The text of jsonnet/defaults.libsonnet."""
    return HEADER + _jsonnet(_data()) + "\n"
