"""Helpers of the validation tests: valid documents to start from, and their problems."""

from __future__ import annotations

import copy
import json
from typing import Any

import yaml

from infergraph.errors import InvalidGraph
from infergraph.loading import Loaded, load_text_with_warnings

__all__ = ["JSON", "dump", "native", "problems", "seldon", "warnings"]

JSON = Any


def native(**spec: JSON) -> dict[str, JSON]:
    """A valid InferenceGraph with one SKLEARN_SERVER predictor; `spec` entries override."""
    return {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": "iris"},
        "spec": {
            "predictors": [
                {
                    "name": "main",
                    "graph": {
                        "name": "clf",
                        "implementation": "SKLEARN_SERVER",
                        "modelUri": "gs://bucket/iris",
                    },
                }
            ],
            **spec,
        },
    }


def seldon(version: str = "v1", **predictor: JSON) -> dict[str, JSON]:
    """A valid SeldonDeployment with one custom-image model; `predictor` entries override."""
    return {
        "apiVersion": f"machinelearning.seldon.io/{version}",
        "kind": "SeldonDeployment",
        "metadata": {"name": "iris"},
        "spec": {
            "predictors": [
                {
                    "name": "main",
                    "componentSpecs": [
                        {"spec": {"containers": [{"name": "clf", "image": "me/clf:1"}]}}
                    ],
                    "graph": {"name": "clf", "type": "MODEL"},
                    **predictor,
                }
            ]
        },
    }


def dump(doc: JSON, fmt: str = "yaml") -> str:
    """The document as YAML (block style, keys in order) or JSON."""
    if fmt == "json":
        return json.dumps(doc, indent=2)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(copy.deepcopy(doc), Dumper=dumper, sort_keys=False)


def _load(doc: JSON | str) -> Loaded:
    return load_text_with_warnings(doc if isinstance(doc, str) else dump(doc), "g.yaml")


def problems(doc: JSON | str) -> list[str]:
    """`/pointer: message` of every problem (empty when the document is valid)."""
    try:
        _load(doc)
    except InvalidGraph as err:
        return [f"{p.pointer}: {p.message}" if p.pointer else p.message for p in err.problems]
    return []


def warnings(doc: JSON | str) -> list[str]:
    """`/pointer: message` of every warning of a valid document."""
    return [f"{w.pointer}: {w.message}" for w in _load(doc).warnings]
