"""The bad-input corpus: requests a client gets wrong, each with what its 400 must say.

Every case goes to SKLEARN_SERVER on iris (4 features) named `iris`, directly or through an
orchestrator of either protocol, over REST and (where protobuf can express it) gRPC; each
front must answer 400 / INVALID_ARGUMENT with a message containing `says`, which names the
field. test_bad_inputs.py runs it against the component and orchestrators, and
tests/hostile/test_payloads.py through a real gateway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from google.protobuf import json_format

from infergraph_server.proto import inference_pb2 as pb
from infergraph_server.proto import prediction_pb2 as sp

__all__ = ["AMPLIFY", "CORPUS", "SELDON_PATH", "Case", "v2_path"]

SELDON_PATH = "/api/v1.0/predictions"
_ROW = [5.1, 3.5, 1.4, 0.2]
_CONTENTS = {"FP64": "fp64_contents", "BYTES": "bytes_contents", "UINT8": "uint_contents"}


def v2_path(model: str) -> str:
    """The V2 infer path of `model` (the node's name, or the graph's on an orchestrator)."""
    return f"/v2/models/{model}/infer"


@dataclass(frozen=True)
class Case:
    """One bad request; `tail` is binary tensor data after the JSON (V2 binary extension)."""

    name: str
    protocol: Literal["seldon", "v2"]
    doc: dict[str, Any]
    says: str
    tail: bytes = b""
    grpc: bool = True  # protobuf can carry it (a float shape or `meta: 5` it cannot)

    def rest(self) -> tuple[bytes, dict[str, str]]:
        """The REST body and headers."""
        body = json.dumps(self.doc).encode()
        headers = {"Content-Type": "application/json"}
        if self.tail:
            headers["Inference-Header-Content-Length"] = str(len(body))
        return body + self.tail, headers

    def seldon_pb(self) -> sp.SeldonMessage:
        """The Seldon gRPC message."""
        return json_format.ParseDict(self.doc, sp.SeldonMessage())

    def v2_pb(self, model: str) -> pb.ModelInferRequest:
        """The V2 gRPC request: typed contents, or raw contents cut from `tail`."""
        request = pb.ModelInferRequest(model_name=model)
        offset = 0
        for item in self.doc["inputs"]:
            tensor = request.inputs.add(
                name=item["name"], datatype=item["datatype"], shape=item["shape"]
            )
            size = (item.get("parameters") or {}).get("binary_data_size")
            if size is not None:
                request.raw_input_contents.append(self.tail[offset : offset + size])
                offset += size
                continue
            values = item["data"]
            if item["datatype"] == "BYTES":
                values = [v.encode() for v in values]
            getattr(tensor.contents, _CONTENTS.get(item["datatype"], "fp64_contents")).extend(
                values
            )
        return request


def _seldon(name: str, doc: dict[str, Any], says: str, grpc: bool = True) -> Case:
    return Case(name, "seldon", doc, says, grpc=grpc)


def _v2(name: str, says: str, tail: bytes = b"", grpc: bool = True, **tensor: Any) -> Case:
    item = {"name": "input-0", "datatype": "FP64", "shape": [1, 4], **tensor}
    return Case(name, "v2", {"inputs": [item]}, says, tail, grpc)


AMPLIFY = _v2(
    "BYTES shape [1e8], no data",
    "inputs[0]: 100000000 BYTES elements need at least 400000000 bytes",
    datatype="BYTES",
    shape=[100_000_000],
    parameters={"binary_data_size": 0},
)
"""216 bytes declaring a 1e8-element BYTES tensor: ~800 MB allocated before the fix."""

CORPUS: tuple[Case, ...] = (
    _seldon("string ndarray", {"data": {"ndarray": [["a", "b", "c", "d"]]}}, "input: [1, 4]"),
    _seldon("object ndarray", {"data": {"ndarray": [[1, None, 2, 3]]}}, "input: [1, 4]"),
    _seldon("zero-row tensor", {"data": {"tensor": {"shape": [0, 4], "values": []}}}, "input: [0"),
    _seldon("meta: 5", {"data": {"ndarray": [_ROW]}, "meta": 5}, "request.meta:", grpc=False),
    _seldon(
        "meta.puid a number",
        {"data": {"ndarray": [_ROW]}, "meta": {"puid": 5}},
        "request.meta.puid:",
        grpc=False,
    ),
    _seldon(
        "negative shape",
        {"data": {"tensor": {"shape": [-1, 4], "values": _ROW}}},
        "request.data.tensor.shape: expected a list of non-negative integers",
    ),
    _seldon(
        "huge shape",
        {"data": {"tensor": {"shape": [1 << 30, 1 << 30], "values": []}}},
        "request.data.tensor.shape: [1073741824, 1073741824] spans",
    ),
    _seldon(
        "non-integer shape",
        {"data": {"tensor": {"shape": [1.5], "values": [1]}}},
        "request.data.tensor.shape: expected a list of non-negative integers",
        grpc=False,
    ),
    _seldon(
        "40 dimensions",
        {"data": {"tensor": {"shape": [1] * 40, "values": [1]}}},
        "request.data.tensor.shape: 40 dimensions",
    ),
    _seldon(
        "shape and values disagree",
        {"data": {"tensor": {"shape": [3], "values": [1, 2]}}},
        "request.data.tensor.shape: [3] needs 3 values, got 2",
    ),
    _seldon("ragged ndarray", {"data": {"ndarray": [[1, 2], [3]]}}, "request.data.ndarray: rows"),
    _seldon(
        "ndarray 40 deep",
        {"data": {"ndarray": json.loads("[" * 40 + "1" + "]" * 40)}},
        "request.data.ndarray: 40 dimensions",
    ),
    _seldon(
        "names not strings",
        {"data": {"names": [5], "ndarray": [_ROW]}},
        "request.data.names:",
        grpc=False,
    ),
    _seldon(
        "tensor values not numbers",
        {"data": {"tensor": {"shape": [1], "values": ["a"]}}},
        "request.data.tensor.values:",
        grpc=False,
    ),
    _seldon("data not an object", {"data": 5}, "request.data:", grpc=False),
    _seldon("no payload", {}, "request: needs one of data, strData, binData, jsonData"),
    AMPLIFY,
    _v2(
        "BYTES shape [1e8], empty data",
        "inputs[0].shape: [100000000] needs 100000000 values, got 0",
        datatype="BYTES",
        shape=[100_000_000],
        data=[],
    ),
    _v2(
        "negative binary_data_size",
        "inputs[0].parameters.binary_data_size: -8",
        tail=b"\0" * 32,
        grpc=False,
        parameters={"binary_data_size": -8},
    ),
    _v2(
        "bytes after the binary data",
        "inputs: 8 bytes of binary data follow",
        tail=b"\0" * 40,
        grpc=False,
        parameters={"binary_data_size": 32},
    ),
    _v2(
        "huge shape",
        "inputs[0].shape: [4294967296, 4294967296] spans",
        shape=[1 << 32, 1 << 32],
        data=[],
    ),
    _v2(
        "negative shape",
        "inputs[0].shape: expected a list of non-negative integers",
        shape=[-1, 4],
        data=_ROW,
    ),
    _v2(
        "non-integer shape",
        "inputs[0].shape: expected a list of non-negative integers",
        grpc=False,
        shape=[1.0, 4],
        data=_ROW,
    ),
    _v2("40 dimensions", "inputs[0].shape: 40 dimensions", shape=[1] * 40, data=[1.0]),
    _v2("datatype not a string", "inputs[0].datatype: []", grpc=False, datatype=[], data=_ROW),
    _v2("unknown datatype", 'inputs[0].datatype: "FP99"', datatype="FP99", data=_ROW),
    _v2(
        "parameters not an object",
        "inputs[0].parameters: expected an object",
        grpc=False,
        data=_ROW,
        parameters=[1],
    ),
    _v2("zero-row tensor", "input: [0", shape=[0, 4], data=[]),
    _v2(
        "BYTES numbers",
        "inputs[0].data: BYTES values are strings",
        grpc=False,
        datatype="BYTES",
        data=[1, 2, 3, 4],
    ),
    _v2("BYTES strings", "input: [1, 4]", datatype="BYTES", data=["a", "b", "c", "d"]),
    _v2("UINT8 300", "not valid UINT8 values", datatype="UINT8", shape=[1], data=[300]),
    _v2(
        "shape and data disagree",
        "inputs[0].shape: [2, 4] needs 8 values, got 4",
        shape=[2, 4],
        data=_ROW,
    ),
)
