"""Make predictions with seldon-core's own ``SeldonClient``; runs in ``.venv-peers``.

seldon-core 1.17.1 pins numpy<2 and protobuf<4, so it cannot share our venv: the tests run
this script with the peers' Python. Argument: a JSON list of calls, each
``{"api": "microservice" | "seldon", "transport": "rest" | "grpc", "endpoint": "host:port",
"payload_type": "ndarray" | "tensor", "rows": [[...]]}``. ``microservice`` is the client's
component API (REST ``/predict`` with a form-encoded body, gRPC ``Model/Predict``);
``seldon`` is its orchestrator API (REST ``/api/v1.0/predictions``, gRPC ``Seldon/Predict``).
Prints one JSON list: per call ``{"success", "msg", "response"}`` (response as JSON dict).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
from google.protobuf.json_format import MessageToDict
from seldon_core.seldon_client import SeldonClient

__all__ = ["call"]


def call(spec: dict[str, Any]) -> dict[str, Any]:
    """One SeldonClient prediction as the spec asks; the answer as plain JSON."""
    client = SeldonClient(
        gateway="seldon",
        transport=spec["transport"],
        gateway_endpoint=spec["endpoint"],
        microservice_endpoint=spec["endpoint"],
    )
    data = np.array(spec["rows"], dtype=float)
    if spec["api"] == "microservice":
        result = client.microservice(method="predict", data=data, payload_type=spec["payload_type"])
    else:
        result = client.predict(data=data, payload_type=spec["payload_type"])
    response = result.response
    if response is not None and not isinstance(response, dict):
        response = MessageToDict(response)
    return {"success": result.success, "msg": result.msg, "response": response}


if __name__ == "__main__":
    print(json.dumps([call(spec) for spec in json.loads(sys.argv[1])]))
