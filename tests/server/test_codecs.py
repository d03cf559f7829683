"""Seldon and V2 codecs: every datatype, both wire forms, and what bad input says."""

from __future__ import annotations

import base64

import numpy as np
import orjson
import pytest

from infergraph_server.codecs.seldon import decode_message, encode_payload, payload_kind
from infergraph_server.codecs.v2 import (
    DTYPES,
    InferRequest,
    Tensor,
    bytes_to_raw,
    datatype_of,
    decode_infer_request,
    encode_infer_response,
)
from infergraph_server.errors import BadRequest


def test_seldon_ndarray_and_tensor_round_trip() -> None:
    x, names = decode_message({"data": {"names": ["a", "b"], "ndarray": [[1.0, 2.0]]}})
    assert names == ["a", "b"] and x.shape == (1, 2)
    t, _ = decode_message({"data": {"tensor": {"shape": [2, 2], "values": [1, 2, 3, 4]}}})
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    out = encode_payload(t, "tensor", ["p"])
    assert out == {
        "data": {"names": ["p"], "tensor": {"shape": [2, 2], "values": [1.0, 2.0, 3.0, 4.0]}}
    }
    body = orjson.loads(
        orjson.dumps(encode_payload(t, "ndarray", []), option=orjson.OPT_SERIALIZE_NUMPY)
    )
    assert body["data"]["ndarray"] == [[1.0, 2.0], [3.0, 4.0]]


def test_seldon_other_payloads() -> None:
    assert decode_message({"strData": "hi"}) == ("hi", [])
    assert decode_message({"jsonData": {"k": [1]}}) == ({"k": [1]}, [])
    assert decode_message({"binData": base64.b64encode(b"\x00\x01").decode()}) == (b"\x00\x01", [])
    assert encode_payload(b"\x00", "binData", []) == {"binData": "AA=="}
    assert encode_payload("s", "ndarray", []) == {"strData": "s"}
    assert encode_payload({"a": 1}, "ndarray", []) == {"jsonData": {"a": 1}}
    assert payload_kind({"data": {"tensor": {}}}) == "tensor"
    assert payload_kind({"strData": "x"}) == "strData"


@pytest.mark.parametrize(
    ("msg", "says"),
    [
        ({}, "needs one of data"),
        ([1], "expected a JSON object"),
        ({"data": {"names": []}}, "needs ndarray or tensor"),
        ({"data": {"ndarray": [[1, 2], [3]]}}, "rows of different lengths"),
        ({"data": {"tensor": {"shape": [3], "values": [1, 2]}}}, "needs 3 values, got 2"),
        ({"data": {"tensor": {"values": ["a"]}}}, "flat list of numbers"),
        ({"binData": "%%%"}, "not valid base64"),
        ({"strData": 3}, "expected a string"),
    ],
)
def test_seldon_bad_messages(msg: object, says: str) -> None:
    with pytest.raises(BadRequest, match=says):
        decode_message(msg)


def _sample(datatype: str) -> np.ndarray:
    if datatype == "BYTES":
        return np.array([b"ab", b"", b"\xff"], dtype=object).reshape(1, 3)
    return np.array([[0, 1, 1]]).astype(DTYPES[datatype])


@pytest.mark.parametrize("datatype", list(DTYPES))
@pytest.mark.parametrize("binary", [False, True])
def test_v2_every_datatype_round_trips(datatype: str, binary: bool) -> None:
    arr = _sample(datatype)
    entry: dict[str, object] = {"name": "x", "datatype": datatype, "shape": [1, 3]}
    tail = b""
    if binary:
        tail = bytes_to_raw(arr) if datatype == "BYTES" else arr.tobytes()
        entry["parameters"] = {"binary_data_size": len(tail)}
    else:
        entry["data"] = (
            [v.decode("latin-1") for v in arr.ravel()]
            if datatype == "BYTES"
            else arr.ravel().tolist()
        )
    header = orjson.dumps(
        {"id": "7", "inputs": [entry], "parameters": {"binary_data_output": binary}}
    )
    req = decode_infer_request(header + tail, str(len(header)) if binary else None)
    got = req.inputs[0].array
    if datatype != "BYTES" or binary:
        assert got.tolist() == arr.tolist() and got.shape == (1, 3)
    assert req.raw is binary and req.id == "7"
    body, hlen = encode_infer_response("m", req, [Tensor("y", datatype, got)])
    assert (hlen is not None) is binary
    doc = orjson.loads(body[: int(hlen)] if hlen else body)
    assert doc["id"] == "7" and doc["outputs"][0]["datatype"] == datatype
    if datatype not in ("BYTES", "BOOL"):
        assert datatype_of(got) == datatype


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"inputs": []}, "non-empty list"),
        ({"inputs": [{"name": "x", "datatype": "FP99", "shape": [1], "data": [1]}]}, "FP99"),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [1]}]},
            "needs 2 values, got 1",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "INT8", "shape": [1], "data": ["a"]}]},
            "not valid INT8",
        ),
        ({"inputs": [{"name": "x", "datatype": "FP32", "shape": "1", "data": [1]}]}, "shape"),
        ({"inputs": [{"datatype": "FP32", "shape": [1], "data": [1]}]}, "name: missing"),
        ({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1]}]}, "data: missing"),
    ],
)
def test_v2_bad_requests(doc: dict[str, object], says: str) -> None:
    with pytest.raises(BadRequest, match=says):
        decode_infer_request(orjson.dumps(doc), None)


def test_v2_binary_size_past_end_and_bad_json() -> None:
    header = orjson.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [2],
                                       "parameters": {"binary_data_size": 8}}]})  # fmt: skip
    with pytest.raises(BadRequest, match="binary_data_size: 8 is not a byte count within the 4"):
        decode_infer_request(header + b"\0" * 4, str(len(header)))
    with pytest.raises(BadRequest, match="not valid JSON"):
        decode_infer_request(b"{nope", None)


def test_requested_binary_output_only_where_asked() -> None:
    req = InferRequest(
        [], outputs=[{"name": "a", "parameters": {"binary_data": True}}, {"name": "b"}]
    )
    a = Tensor("a", "FP32", np.array([1.5], dtype=np.float32))
    b = Tensor("b", "FP32", np.array([2.5], dtype=np.float32))
    body, hlen = encode_infer_response("m", req, [a, b])
    assert hlen is not None
    doc = orjson.loads(body[: int(hlen)])
    assert doc["outputs"][0]["parameters"] == {"binary_data_size": 4}
    assert doc["outputs"][1]["data"] == [2.5]
    assert np.frombuffer(body[int(hlen) :], dtype=np.float32).tolist() == [1.5]
