"""The `helm test` request: one prediction sent to the predictor with the most traffic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .. import defaults
from ..model import Graph

__all__ = ["SAMPLE_ROW", "test_values"]

JSON = Any
#: One iris row: our examples' models take four features.
SAMPLE_ROW = [5.1, 3.5, 1.4, 0.2]


def test_values(graph: Graph, weights: Mapping[str, int]) -> JSON:
    target = max(sorted(weights), key=lambda name: weights[name])
    if graph.protocol == "v2":
        path = f"/v2/models/{graph.name}/infer"
        body: JSON = {
            "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": SAMPLE_ROW}]
        }
    else:
        path = "/api/v1.0/predictions"
        body = {"data": {"ndarray": [SAMPLE_ROW]}}
    return {
        "enabled": True,
        "image": defaults.SERVER_IMAGE,
        "predictor": target,
        "path": path,
        "request": json.dumps(body, separators=(",", ":")),
    }
