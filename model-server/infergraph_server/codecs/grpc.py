"""Protobuf ⇄ the data plane's dicts and tensors (Seldon `SeldonMessage`, V2 `ModelInfer*`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
from google.protobuf import json_format
from google.protobuf.message import Message

from infergraph_server.codecs.v2 import DTYPES, InferRequest, Tensor, bytes_to_raw, tensor_from_raw
from infergraph_server.errors import BadRequest
from infergraph_server.proto import inference_pb2 as pb

__all__ = ["dict_to_message", "infer_request_from_pb", "infer_response_to_pb", "message_to_dict"]

_CONTENTS = {
    "BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents",
    "INT32": "int_contents", "INT64": "int64_contents", "UINT8": "uint_contents",
    "UINT16": "uint_contents", "UINT32": "uint_contents", "UINT64": "uint64_contents",
    "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents",
}  # fmt: skip


def message_to_dict(message: Message) -> dict[str, Any]:
    """A Seldon protobuf message as the JSON-shaped dict the REST adapter would decode."""
    out: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return out


def dict_to_message(obj: dict[str, Any], message: Message) -> Message:
    """Fill `message` from a data-plane answer (numpy arrays allowed inside)."""
    plain = orjson.loads(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY))
    return json_format.ParseDict(plain, message, ignore_unknown_fields=True)


def _params(params: Any) -> dict[str, Any]:
    return {k: getattr(v, v.WhichOneof("parameter_choice")) for k, v in params.items()
            if v.WhichOneof("parameter_choice")}  # fmt: skip


def infer_request_from_pb(request: pb.ModelInferRequest) -> InferRequest:
    """Decode typed `contents` or `raw_input_contents` (what tritonclient sends)."""
    raw = request.raw_input_contents
    if raw and len(raw) != len(request.inputs):
        raise BadRequest(f"raw_input_contents: {len(raw)} entries for {len(request.inputs)} inputs")
    inputs = []
    for i, item in enumerate(request.inputs):
        where = f"inputs[{i}] ({item.name})"
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
            values = list(getattr(item.contents, field))
            arr = np.array(values, dtype=DTYPES[item.datatype])
            if arr.size != int(np.prod(shape)):
                raise BadRequest(
                    f"{where}: shape {shape} needs {int(np.prod(shape))} values, got {arr.size}"
                )
            arr = arr.reshape(shape)
        inputs.append(Tensor(item.name, item.datatype, arr, _params(item.parameters)))
    if not inputs:
        raise BadRequest("inputs: expected at least one tensor")
    outputs = [{"name": o.name, "parameters": _params(o.parameters)} for o in request.outputs]
    return InferRequest(inputs, id=request.id or None, parameters=_params(request.parameters),
                        outputs=outputs, raw=bool(raw))  # fmt: skip


def infer_response_to_pb(
    model: str, request: InferRequest, outputs: list[Tensor]
) -> pb.ModelInferResponse:
    """Answer raw when the request was raw (tritonclient reads only raw_output_contents)."""
    response = pb.ModelInferResponse(model_name=model, id=request.id or "")
    raw = request.raw or any(t.datatype == "FP16" for t in outputs)
    for t in outputs:
        out = response.outputs.add(name=t.name, datatype=t.datatype, shape=list(t.array.shape))
        if raw:
            data = bytes_to_raw(t.array) if t.datatype == "BYTES" else np.ascontiguousarray(
                t.array, DTYPES[t.datatype]).tobytes()  # fmt: skip
            response.raw_output_contents.append(data)
        elif t.datatype == "BYTES":
            out.contents.bytes_contents.extend(
                v if isinstance(v, bytes) else str(v).encode() for v in t.array.ravel()
            )
        else:
            getattr(out.contents, _CONTENTS[t.datatype]).extend(t.array.ravel().tolist())
    return response
