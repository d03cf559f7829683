"""Seldon protocol message ⇄ numpy / str / bytes / dict.

A message carries exactly one payload: `data` (names + ndarray | tensor), `strData`,
`binData` (base64 in JSON) or `jsonData`. Answers keep the request's form: ndarray in,
ndarray out; tensor in, tensor out.

What is refused (400, `BadRequest` naming the field) and what is passed on follows
seldon-core's Python wrapper, which hands `np.array(ndarray)` to the user class:
- refused: a message that is not an object; `meta` that is not an object, or whose `puid`,
  `tags`, `routing`, `requestPath`, `metrics` have the wrong JSON type (seldon-core's
  protobuf parse refuses them too); `names` that are not strings; ragged ndarrays or ones
  nested deeper than MAX_DIMS; a tensor whose `values` are not a flat list of numbers or
  whose `shape` is not non-negative integers multiplying to the number of values;
- passed on: string and object ndarrays (text models take them; a model that needs numbers
  refuses them itself, as SKLEARN_SERVER does) and empty ndarrays or tensors (a zero-row
  batch; seldon-core passes it too).
A declared tensor shape is checked against its values before any array is built (shapes.py).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from infergraph_server.codecs.shapes import MAX_DIMS, brief, shape_count
from infergraph_server.errors import BadRequest

__all__ = [
    "Payload",
    "check_meta",
    "decode_message",
    "encode_payload",
    "error_body",
    "payload_kind",
]

Payload = Any  # np.ndarray | str | bytes | dict | list

_META_TYPES = (
    ("puid", str, "a string"),
    ("tags", dict, "an object"),
    ("routing", dict, "an object"),
    ("requestPath", dict, "an object"),
    ("metrics", list, "a list"),
)


_BYTES = (bytes, bytearray)  # a tuple: a `bytes | bytearray` union is built at every call


def payload_kind(msg: dict[str, Any]) -> str:
    """Which form the message uses: "ndarray", "tensor", "strData", "binData" or "jsonData"."""
    data = msg.get("data")
    if isinstance(data, dict):
        if "tensor" in data:
            return "tensor"
        return "ndarray"
    for key in ("strData", "binData", "jsonData"):
        if key in msg:
            return key
    return "ndarray"


def check_meta(meta: Any, where: str = "request") -> dict[str, Any]:
    """A message's `meta` ({} when absent); BadRequest names the first field of the wrong type."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise BadRequest(
            f"{where}.meta: expected an object {{puid, tags, routing, requestPath, metrics}},"
            f" got {brief(meta)}"
        )
    for key, kind, text in _META_TYPES:
        value = meta.get(key)
        if value is not None and not isinstance(value, kind):
            raise BadRequest(f"{where}.meta.{key}: expected {text}, got {brief(value)}")
    return meta


def decode_message(msg: Any, where: str = "request") -> tuple[Payload, list[str]]:
    """Return (payload, feature names) of a Seldon message; BadRequest says what is wrong."""
    if not isinstance(msg, dict):
        raise BadRequest(f"{where}: expected a JSON object (a Seldon message)")
    if "meta" in msg:
        check_meta(msg["meta"], where)
    data = msg.get("data")
    if data is not None:
        if not isinstance(data, dict):
            raise BadRequest(f"{where}.data: expected an object with names and ndarray or tensor")
        names = data.get("names") or []
        if not isinstance(names, list) or (names and not all(isinstance(n, str) for n in names)):
            raise BadRequest(f"{where}.data.names: expected a list of strings, got {brief(names)}")
        if "ndarray" in data:
            return _ndarray(data["ndarray"], where), names
        if "tensor" in data:
            return _tensor(data["tensor"], where), names
        raise BadRequest(f"{where}.data: needs ndarray or tensor")
    if "strData" in msg:
        if not isinstance(msg["strData"], str):
            raise BadRequest(f"{where}.strData: expected a string")
        return msg["strData"], []
    if "binData" in msg:
        raw = msg["binData"]
        if isinstance(raw, bytes):
            return raw, []
        try:
            return base64.b64decode(raw, validate=True), []
        except (binascii.Error, TypeError, ValueError):
            raise BadRequest(f"{where}.binData: not valid base64") from None
    if "jsonData" in msg:
        return msg["jsonData"], []
    raise BadRequest(f"{where}: needs one of data, strData, binData, jsonData")


def _ndarray(values: Any, where: str) -> np.ndarray:
    if not isinstance(values, list):
        raise BadRequest(f"{where}.data.ndarray: expected a (nested) list, got {brief(values)}")
    try:
        arr = np.array(values)
    except ValueError:
        raise BadRequest(
            f"{where}.data.ndarray: rows of different lengths, or nested more than {MAX_DIMS} deep"
        ) from None
    if arr.ndim > MAX_DIMS:
        raise BadRequest(f"{where}.data.ndarray: {arr.ndim} dimensions; at most {MAX_DIMS}")
    if arr.dtype.kind == "O" and arr.ndim > 1 and any(isinstance(v, list) for v in arr.flat):
        raise BadRequest(f"{where}.data.ndarray: rows of different lengths")
    return arr


def _tensor(tensor: Any, where: str) -> np.ndarray:
    if not isinstance(tensor, dict):
        raise BadRequest(f"{where}.data.tensor: expected {{shape, values}}, got {brief(tensor)}")
    shape = tensor.get("shape")
    values = tensor.get("values", [] if shape else None)  # protobuf leaves out empty values
    if not isinstance(values, list):
        raise BadRequest(f"{where}.data.tensor.values: expected a flat list of numbers")
    if shape is None or shape == []:
        shape = [len(values)]
    count = shape_count(shape, f"{where}.data.tensor")
    if count != len(values):
        raise BadRequest(
            f"{where}.data.tensor.shape: {brief(shape)} needs {count} values, got {len(values)}"
        )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise BadRequest(f"{where}.data.tensor.values: expected a flat list of numbers") from None
    if arr.ndim != 1:
        raise BadRequest(f"{where}.data.tensor.values: expected a flat list of numbers")
    return arr.reshape(shape)


def encode_payload(payload: Payload, kind: str, names: list[str]) -> dict[str, Any]:
    """The message fields for `payload`; arrays use the request's `kind` (ndarray/tensor)."""
    if isinstance(payload, str):
        return {"strData": payload}
    if isinstance(payload, _BYTES):
        return {"binData": base64.b64encode(payload).decode()}
    if isinstance(payload, dict):
        return {"jsonData": payload}
    arr = payload if isinstance(payload, np.ndarray) else np.asarray(payload)
    if kind == "tensor" and arr.dtype.kind in "biuf":
        return {
            "data": {
                "names": names,
                "tensor": {"shape": list(arr.shape), "values": arr.ravel().tolist()},
            }
        }
    if arr.dtype.kind in "biuf" and arr.ndim > 0 and arr.flags.c_contiguous:
        return {"data": {"names": names, "ndarray": arr}}  # orjson writes it natively
    return {"data": {"names": names, "ndarray": arr.tolist()}}


def error_body(status: int, message: str, reason: str) -> dict[str, Any]:
    """A Seldon failure message, `{"status": {code, info, reason, status: FAILURE}}`."""
    return {"status": {"code": status, "info": message, "reason": reason, "status": "FAILURE"}}
