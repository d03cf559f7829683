"""`spec.transport: grpc` answers exactly as `rest`, for both graph protocols, with real
processes (`infergraph up`) on loopback; and the gRPC graph really calls its nodes by gRPC.

The graph uses every kind of call: OUTPUT_TRANSFORMER ← TRANSFORMER ← ROUTER ← (MODEL |
COMBINER ← (MODEL, MODEL)), so /transform-output, /transform-input, /route, /predict and
/aggregate (and V2 infer in the V2 graph) all cross the transport.
"""

from __future__ import annotations

import re
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from e2e_local.up import Up, post
from google.protobuf import json_format

from infergraph_server.proto import prediction_pb2 as pb
from infergraph_server.proto import prediction_pb2_grpc as rpc

pytestmark = pytest.mark.e2e_local

Message = dict[str, Any]
ROWS = {"low": [[1.0, 2.0]], "high": [[4.0, 5.0]]}  # the router picks child 0, then child 1


def _graph_file(tmp: Path, protocol: str, transport: str) -> Path:
    containers: list[Message] = []

    def custom(name: str, type_: str, cls: str, *children: Message, **params: float) -> Message:
        """A node served by a class of graph_nodes.py (its container is recorded)."""
        env = [{"name": "INFERGRAPH_CLASS", "value": f"graph_nodes:{cls}"}]
        containers.append({"name": name, "image": "example.com/n:1", "env": env})
        parameters = [{"name": k, "type": "FLOAT", "value": str(v)} for k, v in params.items()]
        return {"name": name, "type": type_, "parameters": parameters, "children": list(children)}

    tree = custom("post", "OUTPUT_TRANSFORMER", "Negate",
        custom("pre", "TRANSFORMER", "AddOne",
            custom("router", "ROUTER", "ByTotal",
                custom("model-a", "MODEL", "Scale", factor=2),
                {"name": "avg", "type": "COMBINER", "implementation": "AVERAGE_COMBINER",
                 "children": [custom("model-b", "MODEL", "Scale", factor=3),
                              custom("model-c", "MODEL", "Scale", factor=5)]})))  # fmt: skip
    doc = {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": "calc"},
        "spec": {
            "protocol": protocol,
            "transport": transport,
            "predictors": [
                {
                    "name": "main",
                    "graph": tree,
                    "componentSpecs": [{"spec": {"containers": containers}}],
                }
            ],
        },
    }
    shutil.copy(Path(__file__).with_name("graph_nodes.py"), tmp)
    path = tmp / f"calc-{protocol}-{transport}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _rest_model_calls(up: Up) -> float:
    """How many REST /predict or V2 infer calls model-a answered (gRPC calls are not counted)."""
    port = up.ports["node main/model-a"] + 2  # http, grpc, metrics
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    endpoint = r'endpoint="(?:/predict|/v2/models/\{name\}/infer)"'
    found = re.findall(
        rf"^infergraph_requests_total\{{[^}}]*{endpoint}[^}}]*\}} (\S+)$", text, re.M
    )
    return sum(float(v) for v in found)


def _run(tmp: Path, protocol: str, transport: str) -> tuple[list[Any], float]:
    answers: list[Any] = []
    with Up(str(_graph_file(tmp, protocol, transport)), tmp) as up:
        conn = up.connection()
        for rows in ROWS.values():
            status, _, out = post(conn, "/api/v1.0/predictions", {"data": {"ndarray": rows}})
            assert status == 200, out
            out["meta"].pop("puid")
            answers.append(out)
            tensor = {"name": "input-0", "datatype": "FP64", "shape": [1, 2], "data": rows[0]}
            status, _, out = post(conn, "/v2/models/calc/infer", {"inputs": [tensor]})
            assert status == 200, out
            answers.append(out)
        feedback = {
            "request": {"data": {"ndarray": ROWS["low"]}},
            "response": answers[0],
            "reward": 1,
        }
        status, _, out = post(conn, "/api/v1.0/feedback", feedback)
        assert status == 200, out
        answers.append(out["meta"]["routing"])
        channel = grpc.insecure_channel(f"127.0.0.1:{up.grpc_ports['orchestrator main']}")
        message = json_format.ParseDict({"data": {"ndarray": ROWS["high"]}}, pb.SeldonMessage())
        answer = rpc.SeldonStub(channel).Predict(message, timeout=10)
        answers.append(json_format.MessageToDict(answer)["data"]["ndarray"])
        channel.close()
        rest_calls = _rest_model_calls(up)
    return answers, rest_calls


@pytest.mark.parametrize("protocol", ["seldon", "v2"])
def test_grpc_transport_answers_as_rest(tmp_path: Path, protocol: str) -> None:
    rest, rest_calls = _run(tmp_path, protocol, "rest")
    over_grpc, grpc_calls = _run(tmp_path, protocol, "grpc")
    assert over_grpc == rest
    low, high = rest[0], rest[2]
    assert low["data"]["ndarray"] == [[-4.0, -6.0]]  # -(2 * (x + 1))
    assert high["data"]["ndarray"] == [[-20.0, -24.0]]  # -(mean(3, 5) * (x + 1))
    assert high["meta"]["routing"] == {"post": -1, "pre": -1, "router": 1, "avg": -1}
    assert rest[1]["outputs"][0]["data"] == [-4.0, -6.0]
    assert rest[4] == {"post": -1, "pre": -1, "router": 0}
    assert rest[5] == [[-20.0, -24.0]]
    assert rest_calls > 0 and grpc_calls == 0
