"""V2 (Open Inference Protocol) tensors ⇄ numpy, JSON and the binary tensor data extension.

tritonclient sends tensors as raw little-endian bytes after the JSON header, whose length is
in the `Inference-Header-Content-Length` header; BYTES elements are each prefixed with a
4-byte little-endian length. Answers go back in the same form when the client asks for it.

Refused (400, `BadRequest` naming the field, e.g. `inputs[0].shape: ...`): anything that is
not the protocol's JSON type; a shape that is not non-negative integers (shapes.py) or whose
count differs from the values present; BYTES JSON data that are not strings; a negative or
too large `binary_data_size`, and bytes left over after the last input's binary data. A
declared count is checked against the data or bytes present before any array is allocated.
Empty tensors (a zero dimension) are passed on, as MLServer and seldon-core do; a model that
cannot take them says so (SKLEARN_SERVER answers 400).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from infergraph_server.codecs.shapes import brief, shape_count
from infergraph_server.errors import BadRequest

__all__ = [
    "DTYPES",
    "HEADER_LENGTH",
    "InferRequest",
    "Tensor",
    "bytes_from_raw",
    "bytes_to_raw",
    "datatype_of",
    "decode_infer_request",
    "encode_infer_response",
    "select_outputs",
    "tensor_from_raw",
    "tensor_to_json",
    "tensor_to_raw",
    "text_of",
]

HEADER_LENGTH = "inference-header-content-length"

DTYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype("<u1"),
    "UINT16": np.dtype("<u2"),
    "UINT32": np.dtype("<u4"),
    "UINT64": np.dtype("<u8"),
    "INT8": np.dtype("<i1"),
    "INT16": np.dtype("<i2"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "FP16": np.dtype("<f2"),
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "BYTES": np.dtype(object),
}
_BY_KIND = {v.str: k for k, v in DTYPES.items() if k not in ("BYTES", "BOOL")}


@dataclass
class Tensor:
    """A named, typed array (inputs and outputs alike)."""

    name: str
    datatype: str
    array: np.ndarray
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class InferRequest:
    """A decoded `/v2/models/{name}/infer` request."""

    inputs: list[Tensor]
    id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    raw: bool = False  # inputs arrived as binary data: answer binary too (tritonclient)


def datatype_of(arr: np.ndarray) -> str:
    """The V2 datatype name for a numpy array."""
    if arr.dtype.kind == "b":
        return "BOOL"
    if arr.dtype.kind in "OUS":
        return "BYTES"
    name = _BY_KIND.get(
        arr.dtype.newbyteorder("<").str if arr.dtype.byteorder == ">" else arr.dtype.str
    )
    if name is None:
        raise BadRequest(f"output dtype {arr.dtype} has no V2 datatype")
    return name


def bytes_from_raw(raw: bytes, count: int, where: str) -> np.ndarray:
    """Split length-prefixed BYTES elements into an object array of `count` items.

    Each element takes at least its 4-byte length, so a count the bytes cannot hold is
    refused before the array is allocated.
    """
    if count > len(raw) // 4:
        raise BadRequest(
            f"{where}: {count} BYTES elements need at least {4 * count} bytes, got {len(raw)}"
        )
    out = np.empty(count, dtype=object)
    pos = 0
    for i in range(count):
        if pos + 4 > len(raw):
            raise BadRequest(f"{where}: BYTES data ends after {i} of {count} elements")
        (n,) = struct.unpack_from("<I", raw, pos)
        out[i] = raw[pos + 4 : pos + 4 + n]
        pos += 4 + n
    if pos != len(raw):
        raise BadRequest(f"{where}: BYTES data has {len(raw) - pos} bytes past {count} elements")
    return out


def bytes_to_raw(arr: np.ndarray) -> bytes:
    """Length-prefix every element (str encoded as UTF-8) of a BYTES tensor."""
    parts = []
    for item in arr.ravel():
        b = item if isinstance(item, bytes) else str(item).encode()
        parts.append(struct.pack("<I", len(b)))
        parts.append(b)
    return b"".join(parts)


def text_of(arr: np.ndarray) -> list[str]:
    """BYTES elements as text for JSON (UTF-8, undecodable bytes replaced), flattened."""
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in arr.ravel()]


def tensor_to_raw(tensor: Tensor) -> bytes:
    """One tensor's raw bytes (binary extension, gRPC raw contents); see `tensor_from_raw`."""
    if tensor.datatype == "BYTES":
        return bytes_to_raw(tensor.array)
    return np.ascontiguousarray(tensor.array, DTYPES[tensor.datatype]).tobytes()


def tensor_to_json(tensor: Tensor) -> dict[str, Any]:
    """A tensor in V2 JSON form `{name, datatype, shape, data}`; orjson writes numpy data.

    BYTES become text; FP16 is widened to FP32 so the JSON shows each value's shortest form.
    """
    arr = tensor.array
    data: Any
    if tensor.datatype == "BYTES":
        data = text_of(arr)
    elif tensor.datatype == "FP16":
        data = arr.astype(np.float32).ravel()
    else:
        data = np.ascontiguousarray(arr).ravel()
    return {
        "name": tensor.name,
        "datatype": tensor.datatype,
        "shape": list(arr.shape),
        "data": data,
    }


def tensor_from_raw(raw: bytes, datatype: str, shape: list[int], where: str) -> np.ndarray:
    """Decode one tensor's raw bytes (binary extension, or gRPC raw contents)."""
    count = shape_count(shape, where)
    if datatype == "BYTES":
        return bytes_from_raw(raw, count, where).reshape(shape)
    dtype = DTYPES[datatype]
    if len(raw) != count * dtype.itemsize:
        raise BadRequest(
            f"{where}: {datatype} shape {shape} needs {count * dtype.itemsize} bytes,"
            f" got {len(raw)}"
        )
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _object(value: Any, where: str) -> dict[str, Any]:
    """`value` when it is a JSON object, {} when absent; BadRequest otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{where}: expected an object, got {brief(value)}")
    return value


def _json_values(data: Any, datatype: str, where: str) -> np.ndarray:
    """The flat array of a tensor's JSON `data` (nested lists allowed, row-major)."""
    if not isinstance(data, list):
        raise BadRequest(f"{where}.data: expected a list of values, got {brief(data)}")
    try:
        if datatype == "BYTES":
            flat = np.array(data, dtype=object).ravel()
            if not all(isinstance(v, str) for v in flat):
                raise BadRequest(f"{where}.data: BYTES values are strings")
            return np.array([v.encode() for v in flat], dtype=object)
        return np.asarray(data, dtype=DTYPES[datatype]).ravel()
    except (TypeError, ValueError, OverflowError) as exc:
        raise BadRequest(f"{where}.data: not valid {datatype} values ({exc})") from None


def _tensor_from_json(item: Any, i: int, binary: memoryview, offset: int) -> tuple[Tensor, int]:
    where = f"inputs[{i}]"
    if not isinstance(item, dict):
        raise BadRequest(f"{where}: expected an object with name, shape, datatype, data")
    name, datatype = item.get("name"), item.get("datatype")
    if not isinstance(name, str):
        raise BadRequest(f"{where}.name: missing; expected a string")
    if not isinstance(datatype, str) or datatype not in DTYPES:
        shown = f'"{datatype[:40]}"' if isinstance(datatype, str) else brief(datatype)
        raise BadRequest(f"{where}.datatype: {shown} is not one of {', '.join(DTYPES)}")
    count = shape_count(item.get("shape"), where)
    shape: list[int] = item["shape"]  # a list of ints now
    params = _object(item.get("parameters"), f"{where}.parameters")
    size = params.get("binary_data_size")
    if size is not None:
        if type(size) is not int or size < 0 or offset + size > len(binary):
            raise BadRequest(
                f"{where}.parameters.binary_data_size: {brief(size)} is not a byte count within"
                f" the {len(binary)} bytes after the JSON header"
            )
        arr = tensor_from_raw(bytes(binary[offset : offset + size]), datatype, shape, where)
        return Tensor(name, datatype, arr, params), offset + size
    if "data" not in item:
        raise BadRequest(f"{where}.data: missing")
    arr = _json_values(item["data"], datatype, where)
    if arr.size != count:
        raise BadRequest(f"{where}.shape: {shape} needs {count} values, got {arr.size}")
    return Tensor(name, datatype, arr.reshape(shape), params), offset


def _outputs(value: Any) -> list[dict[str, Any]]:
    """The requested outputs: a list of `{name, parameters}`."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"outputs: expected a list of {{name, parameters}}, got {brief(value)}")
    for i, out in enumerate(value):
        if not isinstance(out, dict) or not isinstance(out.get("name"), str):
            raise BadRequest(f"outputs[{i}]: expected {{name, parameters}} with a string name")
        _object(out.get("parameters"), f"outputs[{i}].parameters")
    return value


def decode_infer_request(body: bytes, header_length: str | None) -> InferRequest:
    """Parse an infer request body (JSON, or JSON header + binary tensors)."""
    binary = memoryview(b"")
    if header_length is not None:
        n = int(header_length) if header_length.isascii() and header_length.isdigit() else -1
        if not 0 <= n <= len(body):
            raise BadRequest(
                f"Inference-Header-Content-Length: {brief(header_length)} does not fit the"
                f" {len(body)}-byte body"
            )
        binary = memoryview(body)[n:]
        body = body[:n]
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise BadRequest("request body: expected a JSON object")
    items = doc.get("inputs")
    if not isinstance(items, list) or not items:
        raise BadRequest("inputs: expected a non-empty list of tensors")
    inputs, offset = [], 0
    for i, item in enumerate(items):
        tensor, offset = _tensor_from_json(item, i, binary, offset)
        inputs.append(tensor)
    if offset != len(binary):
        raise BadRequest(
            f"inputs: {len(binary) - offset} bytes of binary data follow the last input's;"
            " each input's parameters.binary_data_size counts its own"
        )
    req_id = doc.get("id")
    return InferRequest(
        inputs,
        id=str(req_id) if req_id is not None else None,
        parameters=_object(doc.get("parameters"), "parameters"),
        outputs=_outputs(doc.get("outputs")),
        raw=len(binary) > 0,
    )


def select_outputs(tensors: list[Tensor], requested: list[dict[str, Any]]) -> list[Tensor]:
    """The tensors the request's `outputs` name, in that order; all of them when it names none."""
    if not requested:
        return tensors
    by_name = {t.name: t for t in tensors}
    missing = [o["name"] for o in requested if o["name"] not in by_name]
    if missing:
        raise BadRequest(f"outputs: {missing} not produced; outputs are {sorted(by_name)}")
    return [by_name[o["name"]] for o in requested]


def _binary_wanted(request: InferRequest, name: str) -> bool:
    for out in request.outputs:
        if out["name"] == name:
            params = out.get("parameters") or {}
            return bool(params.get("binary_data", False))
    return bool(request.parameters.get("binary_data_output", False))


def encode_infer_response(
    model: str, request: InferRequest, outputs: list[Tensor]
) -> tuple[bytes, str | None]:
    """Serialise the answer; returns (body, header length or None when all JSON)."""
    doc_outputs: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for t in outputs:
        if _binary_wanted(request, t.name):
            raw = tensor_to_raw(t)
            blobs.append(raw)
            doc_outputs.append(
                {
                    "name": t.name,
                    "datatype": t.datatype,
                    "shape": list(t.array.shape),
                    "parameters": {"binary_data_size": len(raw)},
                }
            )
        else:
            doc_outputs.append(tensor_to_json(t))
    doc: dict[str, Any] = {"model_name": model, "outputs": doc_outputs}
    if request.id is not None:
        doc["id"] = request.id
    header = orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return header, None
    return header + b"".join(blobs), str(len(header))
