"""The `helm test` pod: one prediction sent to the predictor with the most traffic."""

from __future__ import annotations

import json
from collections.abc import Mapping

from .. import defaults
from ..model import Graph
from ..pointers import JSON
from .nodes import orchestrator_fullname

__all__ = ["SAMPLE_ROW", "TEST_SCRIPT", "test_values"]

#: One iris row: our examples' models take four features.
SAMPLE_ROW = [5.1, 3.5, 1.4, 0.2]
#: POSTs $REQUEST to $URL (retrying while the stack comes up); passes when the answer has data.
TEST_SCRIPT = """\
import json, os, time, urllib.request
url, body = os.environ["URL"], os.environ["REQUEST"].encode()
request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
for attempt in range(1, 11):
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.load(response)
        break
    except OSError as error:
        print(f"attempt {attempt}: {url}: {error}", flush=True)
        time.sleep(3)
else:
    raise SystemExit(f"no answer from {url}")
found = {"data", "strData", "jsonData", "binData", "outputs"} & set(answer)
if not found:
    raise SystemExit(f"answer without data: {json.dumps(answer)[:500]}")
print("ok:", json.dumps(answer)[:500])
"""


def test_values(graph: Graph, weights: Mapping[str, int]) -> JSON:
    target = max(sorted(weights), key=lambda name: weights[name])
    predictor = next(p for p in graph.predictors if p.name == target)
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
        # The gateway rewrites the graph's prefix (istio_values) to "/" before the orchestrator.
        "gatewayPath": f"/{defaults.ISTIO_PREFIX_ROOT}/{graph.name}{path}",
        "url": f"http://{orchestrator_fullname(graph, predictor)}:{defaults.HTTP_PORT}{path}",
        "request": json.dumps(body, separators=(",", ":")),
        "command": ["python3", "-c", TEST_SCRIPT],
    }
