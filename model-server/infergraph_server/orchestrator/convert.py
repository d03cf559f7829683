"""Seldon messages ⇄ V2 tensors, for whichever protocol the caller and the graph speak.

A V2 message inside the orchestrator is `{"inputs": [tensor, ...]}`, each tensor in the V2
JSON form `{name, datatype, shape, data}` (data a list or a numpy array), so a V2 node's
`outputs` are the next node's `inputs` unchanged. A Seldon message carries one array (or
`strData`, `binData`, `jsonData`); it becomes one tensor and back, as the component server's
data plane hands a single V2 input to `predict` as its array.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from infergraph_server.codecs.seldon import decode_message, encode_payload
from infergraph_server.codecs.v2 import (
    Tensor,
    datatype_of,
    decode_infer_request,
    tensor_to_json,
    text_of,
)
from infergraph_server.errors import BadRequest

__all__ = [
    "DEFAULT_INPUT",
    "DEFAULT_OUTPUT",
    "seldon_to_v2",
    "tensors_of",
    "v2_to_seldon",
]

DEFAULT_INPUT = "input-0"  # a Seldon request's tensor name (SKLEARN_SERVER's input)
DEFAULT_OUTPUT = "output-0"  # an answer's tensor name when the node's metadata names none

Message = dict[str, Any]
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def tensors_of(docs: Any) -> list[Tensor]:
    """Decode V2 JSON tensors with the component server's codec (its checks and messages)."""
    return decode_infer_request(orjson.dumps({"inputs": docs}, option=_NUMPY), None).inputs


def seldon_to_v2(message: Message, name: str) -> list[Message]:
    """One tensor named `name` from a Seldon message's payload (strData/jsonData as BYTES)."""
    payload, _ = decode_message(message)
    if isinstance(payload, dict | list):
        payload = orjson.dumps(payload)
    if isinstance(payload, str | bytes):
        arr = np.array([payload.encode() if isinstance(payload, str) else payload], dtype=object)
    else:
        arr = payload
    return [tensor_to_json(Tensor(name, datatype_of(arr), arr))]


def v2_to_seldon(docs: Any, kind: str = "ndarray") -> Message:
    """A Seldon message (data in `kind`: ndarray or tensor) holding the single tensor of `docs`."""
    tensors = tensors_of(docs)
    if len(tensors) != 1:
        raise BadRequest(
            f"inputs: {len(tensors)} tensors ({', '.join(t.name for t in tensors)}); a Seldon"
            " message holds one, so a Seldon-protocol graph takes exactly one tensor"
        )
    arr = tensors[0].array
    if tensors[0].datatype != "BYTES":
        return encode_payload(arr, kind, [])
    text = text_of(arr)
    if arr.size == 1:
        return {"strData": text[0]}
    return {
        "data": {"names": [], "ndarray": np.array(text, dtype=object).reshape(arr.shape).tolist()}
    }
