"""Protobuf ⇄ the data plane's dicts and tensors (Seldon `SeldonMessage`, V2 `ModelInfer*`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
from google.protobuf import json_format
from google.protobuf.message import Message

from infergraph_server.codecs.shapes import shape_count
from infergraph_server.codecs.v2 import (
    DTYPES,
    InferRequest,
    Tensor,
    tensor_from_raw,
    tensor_to_raw,
)
from infergraph_server.errors import BadRequest
from infergraph_server.proto import inference_pb2 as pb
from infergraph_server.proto import prediction_pb2 as sp

__all__ = [
    "dict_to_message",
    "infer_request_from_pb",
    "infer_response_to_pb",
    "message_to_dict",
    "parse_dict",
]

_CONTENTS = {
    "BOOL": "bool_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}


# json_format walks descriptors field by field (~40 µs a small message, both ways, on every
# hop); the common Seldon shapes below take direct paths with the same result. Anything else
# (status, metrics, binData, customData, unknown keys, odd values) goes to json_format, which
# also words the errors.


class _Slow(Exception):
    """This message needs json_format."""


def _py(value: Any) -> Any:
    """A `google.protobuf.Value` as JSON data (json_format's reading; NaN/Inf refused)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if not math.isfinite(number):
            raise _Slow
        return number
    if kind == "list_value":
        return [_py(v) for v in value.list_value.values]
    if kind == "struct_value":
        return {k: _py(v) for k, v in value.struct_value.fields.items()}
    if kind == "string_value" or kind == "bool_value":
        return getattr(value, kind)
    return None


def _seldon_doc(message: Any) -> dict[str, Any]:
    if message.HasField("status"):
        raise _Slow
    out: dict[str, Any] = {}
    if message.HasField("meta"):
        meta, doc = message.meta, dict[str, Any]()
        if meta.metrics:
            raise _Slow
        if meta.puid:
            doc["puid"] = meta.puid
        if meta.tags:
            doc["tags"] = {k: _py(v) for k, v in meta.tags.items()}
        if meta.routing:
            doc["routing"] = dict(meta.routing)
        if meta.requestPath:
            doc["requestPath"] = dict(meta.requestPath)
        out["meta"] = doc
    which = message.WhichOneof("data_oneof")
    if which == "data":
        data, body = message.data, dict[str, Any]()
        if data.names:
            body["names"] = list(data.names)
        kind = data.WhichOneof("data_oneof")
        if kind == "ndarray":
            body["ndarray"] = [_py(v) for v in data.ndarray.values]
        elif kind == "tensor":
            tensor, values = dict[str, Any](), list(data.tensor.values)
            if not all(map(math.isfinite, values)):
                raise _Slow
            if data.tensor.shape:
                tensor["shape"] = list(data.tensor.shape)
            if values:
                tensor["values"] = values
            body["tensor"] = tensor
        out["data"] = body
    elif which == "strData":
        out["strData"] = message.strData
    elif which == "jsonData":
        out["jsonData"] = _py(message.jsonData)
    elif which is not None:
        raise _Slow
    return out


def _set(value: Any, obj: Any) -> None:
    """Fill a `google.protobuf.Value` from JSON data."""
    if obj is None:
        value.null_value = 0
    elif obj is True or obj is False:
        value.bool_value = obj
    elif isinstance(obj, str):
        value.string_value = obj
    elif isinstance(obj, int | float):
        value.number_value = obj
    elif isinstance(obj, list):
        value.list_value.SetInParent()
        values = value.list_value.values
        for item in obj:
            _set(values.add(), item)
    elif isinstance(obj, dict):
        value.struct_value.SetInParent()
        fields = value.struct_value.fields
        for key, item in obj.items():
            _set(fields[key], item)
    else:
        raise _Slow


_META = frozenset(("puid", "tags", "routing", "requestPath", "metrics"))
_ONEOF = frozenset(("data", "binData", "strData", "jsonData", "customData"))


def _field(doc: dict[str, Any], key: str, kind: type) -> Any:
    """`doc[key]` when it has JSON type `kind`, `kind()` when absent; else json_format's case."""
    obj = doc.get(key)
    if obj is None and key not in doc:
        return kind()
    if type(obj) is not kind:
        raise _Slow
    return obj


def _fill_seldon(doc: dict[str, Any], message: Any) -> None:
    if len(doc.keys() & _ONEOF) > 1:
        raise _Slow
    for key, obj in doc.items():
        if key == "data" and type(obj) is dict and obj.keys() <= {"names", "ndarray", "tensor"}:
            data = message.data
            data.SetInParent()
            data.names.extend(_field(obj, "names", list))
            if "ndarray" in obj:
                if "tensor" in obj:
                    raise _Slow
                data.ndarray.SetInParent()
                values = data.ndarray.values
                for item in _field(obj, "ndarray", list):
                    _set(values.add(), item)
            elif "tensor" in obj:
                tensor = _field(obj, "tensor", dict)
                if not tensor.keys() <= {"shape", "values"}:
                    raise _Slow
                data.tensor.SetInParent()
                data.tensor.shape.extend(_field(tensor, "shape", list))
                values = _field(tensor, "values", list)
                if any(v is True or v is False for v in values):
                    raise _Slow
                data.tensor.values.extend(values)
        elif key == "meta" and type(obj) is dict and obj.keys() <= _META:
            if _field(obj, "metrics", list):
                raise _Slow
            meta = message.meta
            meta.SetInParent()
            meta.puid = _field(obj, "puid", str)
            for tag, item in _field(obj, "tags", dict).items():
                _set(meta.tags[tag], item)
            meta.routing.update(_field(obj, "routing", dict))
            meta.requestPath.update(_field(obj, "requestPath", dict))
        elif key == "strData" and type(obj) is str:
            message.strData = obj
        elif key == "jsonData":
            _set(message.jsonData, obj)
        else:
            raise _Slow


def message_to_dict(message: Message) -> dict[str, Any]:
    """A Seldon protobuf message as the JSON-shaped dict the REST adapter would decode."""
    try:
        if isinstance(message, sp.SeldonMessage):
            return _seldon_doc(message)
        if isinstance(message, sp.SeldonMessageList) and message.seldonMessages:
            return {"seldonMessages": [_seldon_doc(m) for m in message.seldonMessages]}
    except _Slow:
        pass
    out: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return out


def parse_dict(doc: Any, message: Message) -> Message:
    """`json_format.ParseDict(doc, message, ignore_unknown_fields=True)`, faster for Seldon."""
    try:
        if isinstance(message, sp.SeldonMessage) and type(doc) is dict:
            _fill_seldon(doc, message)
            return message
        if (
            isinstance(message, sp.SeldonMessageList)
            and type(doc) is dict
            and doc.keys() == {"seldonMessages"}
        ):
            for item in doc["seldonMessages"]:
                if type(item) is not dict:
                    raise _Slow
                _fill_seldon(item, message.seldonMessages.add())
            return message
    except (_Slow, AttributeError, OverflowError, TypeError, ValueError):
        message.Clear()
    return json_format.ParseDict(doc, message, ignore_unknown_fields=True)


def dict_to_message(obj: dict[str, Any], message: Message) -> Message:
    """Fill `message` from a data-plane answer (numpy arrays allowed inside)."""
    return parse_dict(orjson.loads(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)), message)


def _params(params: Any) -> dict[str, Any]:
    return {
        k: getattr(v, v.WhichOneof("parameter_choice"))
        for k, v in params.items()
        if v.WhichOneof("parameter_choice")
    }


def infer_request_from_pb(request: pb.ModelInferRequest) -> InferRequest:
    """Decode typed `contents` or `raw_input_contents` (what tritonclient sends).

    Checks as the JSON codec does (v2.py): the declared count against the contents present,
    before any array is built; values out of the datatype's range are refused too.
    """
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise BadRequest(f"raw_input_contents: {len(raw)} entries for {len(request.inputs)} inputs")
    inputs = []
    for i, item in enumerate(request.inputs):
        where = f"inputs[{i}]"
        if item.datatype not in DTYPES:
            raise BadRequest(
                f'{where}.datatype: "{item.datatype}" is not one of {", ".join(DTYPES)}'
            )
        shape = list(item.shape)
        if raw:
            arr = tensor_from_raw(raw[i], item.datatype, shape, where)
        else:
            field = _CONTENTS.get(item.datatype)
            if field is None:
                raise BadRequest(f"{where}: {item.datatype} needs raw_input_contents")
            count, values = shape_count(shape, where), getattr(item.contents, field)
            if len(values) != count:
                raise BadRequest(f"{where}.shape: {shape} needs {count} values, got {len(values)}")
            try:
                arr = np.array(list(values), dtype=DTYPES[item.datatype]).reshape(shape)
            except (OverflowError, ValueError) as exc:
                raise BadRequest(
                    f"{where}.contents: not valid {item.datatype} values ({exc})"
                ) from None
        inputs.append(Tensor(item.name, item.datatype, arr, _params(item.parameters)))
    if not inputs:
        raise BadRequest("inputs: expected at least one tensor")
    outputs = [{"name": o.name, "parameters": _params(o.parameters)} for o in request.outputs]
    return InferRequest(
        inputs,
        id=request.id or None,
        parameters=_params(request.parameters),
        outputs=outputs,
        raw=bool(raw),
    )


def infer_response_to_pb(
    model: str, request: InferRequest, outputs: list[Tensor]
) -> pb.ModelInferResponse:
    """Answer raw when the request was raw (tritonclient reads only raw_output_contents)."""
    response = pb.ModelInferResponse(model_name=model, id=request.id or "")
    raw = request.raw or any(t.datatype == "FP16" for t in outputs)
    for t in outputs:
        out = response.outputs.add(name=t.name, datatype=t.datatype, shape=list(t.array.shape))
        if raw:
            response.raw_output_contents.append(tensor_to_raw(t))
        elif t.datatype == "BYTES":
            out.contents.bytes_contents.extend(
                v if isinstance(v, bytes) else str(v).encode() for v in t.array.ravel()
            )
        else:
            getattr(out.contents, _CONTENTS[t.datatype]).extend(t.array.ravel().tolist())
    return response
