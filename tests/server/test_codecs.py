"""Seldon and V2 codecs: every datatype, both wire forms, and what bad input says."""

from __future__ import annotations

import base64
import contextlib
import re
import tracemalloc
from collections.abc import Callable

import numpy as np
import orjson
import pytest

from infergraph_server.codecs.grpc import infer_request_from_pb
from infergraph_server.codecs.seldon import check_meta, decode_message, encode_payload, payload_kind
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
from infergraph_server.proto import inference_pb2 as pb


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
        ({"data": {"ndarray": [1]}, "meta": 5}, "request.meta: expected an object"),
        ({"data": {"ndarray": [1]}, "meta": {"tags": []}}, "request.meta.tags: expected an"),
        ({"data": {"ndarray": [1]}, "meta": {"routing": 1}}, "request.meta.routing: expected"),
        ({"data": {"tensor": {"shape": [2**62, 4], "values": []}}}, "spans"),
        ({"data": {"tensor": {"shape": [0, 2**62, 4], "values": []}}}, "spans"),
        ({"data": {"tensor": {"shape": [1] * 33, "values": [1]}}}, "33 dimensions; at most 32"),
        ({"data": {"tensor": {"shape": 4, "values": [1]}}}, "got 4"),
        ({"data": {"tensor": [1]}}, "request.data.tensor: expected {shape, values}"),
        ({"data": {"ndarray": "x" * 500}}, "x..."),
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
    header = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "x",
                    "datatype": "FP32",
                    "shape": [2],
                    "parameters": {"binary_data_size": 8},
                }
            ]
        }
    )
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


def _peak_allocated(decode: Callable[[], object]) -> int:
    """Bytes allocated at the peak while `decode()` runs (numpy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        with contextlib.suppress(BadRequest):
            decode()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _v2_bytes_header(**tensor: object) -> bytes:
    return orjson.dumps({"inputs": [{"name": "x", "datatype": "BYTES", **tensor}]})


@pytest.mark.parametrize(
    "decode",
    [
        lambda: decode_infer_request(
            h := _v2_bytes_header(shape=[10**8], parameters={"binary_data_size": 0}), str(len(h))
        ),
        lambda: decode_infer_request(_v2_bytes_header(shape=[10**8], data=[]), None),
        lambda: infer_request_from_pb(
            pb.ModelInferRequest(
                inputs=[
                    pb.ModelInferRequest.InferInputTensor(name="x", datatype="BYTES", shape=[10**8])
                ],
                raw_input_contents=[b""],
            )
        ),
        lambda: decode_message({"data": {"tensor": {"shape": [10**8], "values": []}}}),
        lambda: decode_message({"data": {"tensor": {"shape": [1 << 40, 1 << 40], "values": []}}}),
    ],
    ids=["v2 binary", "v2 json", "v2 grpc raw", "seldon tensor", "seldon tensor wrapping"],
)
def test_declared_shapes_allocate_nothing(decode: Callable[[], object]) -> None:
    """A 1e8-element declaration with no data was 800 MB of object array before its 400."""
    with pytest.raises(BadRequest):
        decode()
    assert _peak_allocated(decode) < 1 << 20


@pytest.mark.parametrize(
    ("header", "tail", "says"),
    [
        ({"shape": [1], "parameters": {"binary_data_size": -4}}, b"\0" * 4, "binary_data_size: -4"),
        ({"shape": [1], "parameters": {"binary_data_size": True}}, b"\0" * 4, "size: True"),
        ({"shape": [1], "parameters": {"binary_data_size": 4}}, b"\0" * 5, "1 bytes of binary"),
        ({"shape": [1], "data": [1.0]}, b"\0", "1 bytes of binary data follow"),
    ],
)
def test_binary_sizes_must_add_up_to_the_tail(
    header: dict[str, object], tail: bytes, says: str
) -> None:
    doc = orjson.dumps({"inputs": [{"name": "x", "datatype": "FP32", **header}]})
    with pytest.raises(BadRequest, match=re.escape(says)):
        decode_infer_request(doc + tail, str(len(doc)))


@pytest.mark.parametrize(
    ("doc", "header_length", "says"),
    [
        (
            {"inputs": [{"name": "x", "datatype": [], "shape": [1], "data": [1]}]},
            None,
            "inputs[0].datatype: []",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [True], "data": [1]}]},
            None,
            "inputs[0].shape: expected a list of non-negative integers",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": 1}]},
            None,
            "inputs[0].data: expected a list of values",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": [{"a": 1}]}]},
            None,
            "inputs[0].data: BYTES values are strings",
        ),
        (
            {
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}],
                "outputs": [{"name": "y", "parameters": 3}],
            },
            None,
            "outputs[0].parameters",
        ),
        (
            {
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}],
                "outputs": {"name": "y"},
            },
            None,
            "outputs: expected a list",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "data": [1]}]},
            "\u00b2",
            "Inference-Header-Content-Length: '\u00b2'",
        ),
    ],
)
def test_v2_fields_of_the_wrong_type(doc: object, header_length: str | None, says: str) -> None:
    with pytest.raises(BadRequest, match=re.escape(says)):
        decode_infer_request(orjson.dumps(doc), header_length)


def test_grpc_typed_contents_are_checked_before_they_are_copied() -> None:
    tensor = pb.ModelInferRequest.InferInputTensor
    request = pb.ModelInferRequest(inputs=[tensor(name="x", datatype="UINT8", shape=[2])])
    request.inputs[0].contents.uint_contents.extend([1])
    with pytest.raises(BadRequest, match=re.escape("inputs[0].shape: [2] needs 2 values, got 1")):
        infer_request_from_pb(request)
    request.inputs[0].contents.uint_contents.append(300)
    with pytest.raises(BadRequest, match=re.escape("inputs[0].contents: not valid UINT8 values")):
        infer_request_from_pb(request)


def test_seldon_passes_strings_objects_and_empty_batches_on() -> None:
    """As seldon-core's wrapper does: models that take them (text models) get them."""
    strings, _ = decode_message({"data": {"ndarray": [["a", "b"]]}})
    assert strings.dtype.kind == "U" and strings.shape == (1, 2)
    objects, _ = decode_message({"data": {"ndarray": [[1, None]]}})
    assert objects.dtype.kind == "O"
    empty, _ = decode_message({"data": {"tensor": {"shape": [0, 4]}}})  # as gRPC leaves it
    assert empty.shape == (0, 4)
    assert check_meta(None) == {} and check_meta({"puid": "p", "tags": {}}) == {
        "puid": "p",
        "tags": {},
    }
