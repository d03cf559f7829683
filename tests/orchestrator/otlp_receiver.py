"""A small OTLP/HTTP trace receiver on loopback: what a collector would get from our servers.

POST /v1/traces bodies are `ExportTraceServiceRequest` protobufs (optionally gzip); each span
is kept as a `ReceivedSpan` with its service's name (resource `service.name`).
"""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from dataclasses import dataclass
from typing import Any

from loopback_http import QuietHandler, serving
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as otlp

__all__ = ["OtlpReceiver", "ReceivedSpan"]


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, ids in lower-case hex (parent "" for a root)."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    attributes: dict[str, Any]
    trace_state: str = ""


def _value(any_value: Any) -> Any:
    field = any_value.WhichOneof("value")
    return getattr(any_value, field) if field else None


class OtlpReceiver:
    """`with OtlpReceiver() as r:` serves until the block ends; `r.endpoint` for
    OTEL_EXPORTER_OTLP_ENDPOINT, `r.wait(trace_id, count)` for the spans of one trace."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                receiver.take(otlp.ExportTraceServiceRequest.FromString(body))
                answer = otlp.ExportTraceServiceResponse().SerializeToString()
                status = 200 if self.path == "/v1/traces" else 404
                self.answer(status, answer, "application/x-protobuf")

        self._handler = Handler
        self._serving = contextlib.ExitStack()
        self.endpoint = ""

    def take(self, request: Any) -> None:
        with self._lock:
            for resource_spans in request.resource_spans:
                attrs = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
                for scope in resource_spans.scope_spans:
                    for span in scope.spans:
                        self.spans.append(
                            ReceivedSpan(
                                service=str(attrs.get("service.name", "")),
                                name=span.name,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_id=span.parent_span_id.hex(),
                                kind=span.kind,
                                attributes={a.key: _value(a.value) for a in span.attributes},
                                trace_state=span.trace_state,
                            )
                        )

    def wait(self, trace_id: str, count: int, timeout: float = 10.0) -> list[ReceivedSpan]:
        """The spans of `trace_id` once `count` have come (fewer after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [s for s in self.spans if s.trace_id == trace_id]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def __enter__(self) -> OtlpReceiver:
        port = self._serving.enter_context(serving(self._handler))
        self.endpoint = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.close()
