"""Run as a script: tritonclient.grpc against TARGET for MODEL, print what it got as JSON.

A separate process because tritonclient's compiled protos and ours both define package
`inference` in protobuf's default descriptor pool; one process cannot import both.
Usage: python triton_grpc.py HOST:PORT MODEL '[[row], ...]'
"""

from __future__ import annotations

import json
import sys

import numpy as np
import tritonclient.grpc as tgrpc
from tritonclient.utils import InferenceServerException

__all__ = ["main"]


def main(target: str, model: str, rows: str) -> dict[str, object]:
    """Health, one infer (raw contents, tritonclient's default) and an unknown model's error."""
    client = tgrpc.InferenceServerClient(target)
    x = np.array(json.loads(rows), dtype=np.float64)
    tensor = tgrpc.InferInput("input-0", list(x.shape), "FP64")
    tensor.set_data_from_numpy(x)
    answer = client.infer(model, [tensor], request_id="9")
    try:
        client.infer("nope", [tensor])
        unknown = "answered"
    except InferenceServerException as exc:
        unknown = str(exc)
    out = {
        "ready": client.is_server_live()
        and client.is_server_ready()
        and client.is_model_ready(model),
        "id": answer.get_response().id,
        "predict_proba": answer.as_numpy("predict_proba").tolist(),
        "unknown": unknown,
    }
    client.close()
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
