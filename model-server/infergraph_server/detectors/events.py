"""Seldon's payload-log CloudEvents, in (binary or structured mode) and out (binary mode).

In: an HTTP POST in binary mode, whose body is the payload a node saw (Seldon protocol
`{"data": {"ndarray" | "tensor"}}` or V2 `{"inputs": [...]}`) and whose `ce-*` headers say
what it is: `ce-type` `io.seldon.serving.inference.request` or `.response`, `ce-id`,
`ce-requestid` (the prediction's puid), `ce-modelid` (the node), `ce-inferenceservicename`
(the graph), `ce-namespace`, `ce-endpoint` (the predictor); or in structured mode (`Content-Type:
application/cloudevents+json`, as a Knative broker or another sender may deliver it), one JSON
document holding those attributes and the payload as `data` (or `data_base64`), read by the
`cloudevents` SDK and then checked as a binary one is. Payloads are decoded by the server's own
codecs.

Out: a finding (an outlier, a drift) as a binary-mode CloudEvent that carries the request's
attributes on, so a consumer can link it to the prediction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from infergraph_server.codecs.seldon import decode_message
from infergraph_server.codecs.v2 import HEADER_LENGTH, decode_infer_request
from infergraph_server.errors import BadRequest

__all__ = [
    "DRIFT",
    "OUTLIER",
    "REQUEST",
    "RESPONSE",
    "STRUCTURED",
    "InboundEvent",
    "event_headers",
    "parse_event",
    "payload_rows",
]

REQUEST = "io.seldon.serving.inference.request"
RESPONSE = "io.seldon.serving.inference.response"
OUTLIER = "io.seldon.serving.inference.outlier"
DRIFT = "io.seldon.serving.inference.drift"
#: the media type of a CloudEvent in structured HTTP mode, JSON event format
STRUCTURED = "application/cloudevents+json"
#: attributes carried from an inbound event onto the events it causes
_CARRIED = ("requestid", "modelid", "inferenceservicename", "namespace", "endpoint")


@dataclass(frozen=True)
class InboundEvent:
    """One logged payload: its CloudEvents type and id, the Seldon attributes, the body."""

    type: str
    id: str
    body: bytes
    headers: dict[str, str]
    attributes: dict[str, str] = field(default_factory=dict)  # Seldon's, without `ce-`


def _unwrap(body: bytes) -> tuple[dict[str, str], bytes]:
    """A structured-mode event as the headers and body of the same event in binary mode."""
    from cloudevents.core.exceptions import BaseCloudEventException
    from cloudevents.core.formats.json import JSONFormat

    try:
        event = JSONFormat().read(None, body)
    except (BaseCloudEventException, ValueError, TypeError, KeyError) as exc:
        raise BadRequest(f"not a structured-mode CloudEvent ({STRUCTURED}): {exc}") from None
    headers = {f"ce-{k}": str(v) for k, v in event.get_attributes().items()}
    data = event.get_data()
    if isinstance(data, str):
        return headers, data.encode()
    if isinstance(data, bytes):
        return headers, data
    return headers, orjson.dumps(data)


def parse_event(headers: dict[str, str], body: bytes) -> InboundEvent:
    """A CloudEvent from lower-case `headers` and `body`, binary or structured; BadRequest
    names what is missing."""
    if headers.get("content-type", "").partition(";")[0].strip().lower() == STRUCTURED:
        headers, body = _unwrap(body)
    if "ce-specversion" not in headers:
        raise BadRequest(
            "not a CloudEvent: no ce-specversion header and not structured mode "
            f"(Content-Type: {STRUCTURED}); expected Seldon's payload-log events "
            "(ce-specversion: 1.0)"
        )
    if headers["ce-specversion"] != "1.0":
        raise BadRequest(f'ce-specversion: "{headers["ce-specversion"]}"; expected 1.0')
    kind = headers.get("ce-type", "")
    if kind not in (REQUEST, RESPONSE):
        raise BadRequest(f'ce-type: "{kind}"; expected {REQUEST} or {RESPONSE}')
    attributes = {k[3:]: v for k, v in headers.items() if k[3:] in _CARRIED and k[:3] == "ce-"}
    return InboundEvent(kind, headers.get("ce-id", ""), body, headers, attributes)


def _v2_rows(event: InboundEvent) -> np.ndarray:
    request = decode_infer_request(event.body, event.headers.get(HEADER_LENGTH))
    columns = []
    for tensor in request.inputs:
        array = tensor.array
        columns.append(array.reshape(array.shape[0], -1) if array.ndim else array.reshape(1, 1))
    if len({c.shape[0] for c in columns}) != 1:
        pairs = zip(request.inputs, columns, strict=True)
        rows = ", ".join(f"{t.name}: {c.shape[0]}" for t, c in pairs)
        raise BadRequest(f"inputs: differing row counts ({rows}); expected one row count")
    return np.hstack(columns)


def payload_rows(event: InboundEvent) -> np.ndarray:
    """The payload's rows as a 2-D float64 array (rows x features)."""
    try:
        doc: Any = orjson.loads(event.body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"event body is not valid JSON: {exc}") from None
    if isinstance(doc, dict) and "inputs" in doc:
        array = _v2_rows(event)
    else:
        payload, _ = decode_message(doc, "event body")
        if not isinstance(payload, np.ndarray):
            raise BadRequest("event body: expected data.ndarray or data.tensor of numbers")
        array = payload
    if array.dtype.kind not in "biuf":
        raise BadRequest(f"event body: holds {array.dtype} values; expected numbers")
    array = np.asarray(array, dtype=np.float64)
    return array.reshape(1, -1) if array.ndim < 2 else array.reshape(array.shape[0], -1)


def event_headers(kind: str, source: str, cause: InboundEvent) -> dict[str, str]:
    """Headers of an outbound binary-mode CloudEvent of `kind`, caused by `cause`."""
    headers = {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-type": kind,
        "ce-id": str(uuid.uuid4()),
        "ce-source": source,
    }
    headers.update({f"ce-{k}": v for k, v in cause.attributes.items()})
    return headers
