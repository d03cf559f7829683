"""OpenTelemetry at the three places a request crosses: servers, the node walk, node calls.

- Servers (component and orchestrator): every POST handler and every unary gRPC method runs
  in a SERVER span that continues the trace of the request's headers or metadata (the
  propagators of OTEL_PROPAGATORS: W3C `traceparent`/`tracestate`, B3 `b3` or `x-b3-*`).
- The executor: one span per graph node, named after it, around the node's own calls and its
  children's spans, so the span tree is the graph as the request walked it. Attributes:
  `infergraph.node.name`, `.type`, `.implementation`; routers add `infergraph.node.routing`
  (the child index chosen, -1 for all) and `infergraph.node.route` (its name); the status is
  OK, or ERROR with the error and `http.response.status_code` it was answered with.
- Node calls: the transports inject the current span's context into the HTTP headers or the
  gRPC metadata, so the node's server span is a child of its node span.

Imported only when tracing is on (`infergraph_server.tracing.from_environment`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import grpc
from opentelemetry import propagate, trace
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from infergraph_server import __version__
from infergraph_server.errors import InferenceError
from infergraph_server.http import Handler, Request, Response

if TYPE_CHECKING:
    from infergraph_server.orchestrator.graph import RuntimeNode

__all__ = ["Tracing", "Visit", "exporting_provider"]

#: the executor's walk of one node (executor.Executor.visit)
Visit = Callable[["RuntimeNode", dict[str, Any], Any], Awaitable[dict[str, Any]]]


def exporting_provider() -> TracerProvider:
    """An SDK provider as the OTEL_* environment says (service name, sampler, OTLP/HTTP
    endpoint), exporting in batches from a background thread."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def _failed(span: trace.Span, exc: BaseException) -> None:
    if isinstance(exc, InferenceError):
        span.set_attribute("http.response.status_code", exc.status)
    span.set_status(Status(StatusCode.ERROR, str(exc)))


class Tracing:
    """Spans and propagation over one tracer provider (the SDK's; tests give theirs)."""

    def __init__(
        self, provider: TracerProvider, propagator: TextMapPropagator | None = None
    ) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("infergraph_server", __version__)
        self.propagator = propagator or propagate.get_global_textmap()

    def shutdown(self) -> None:
        """Export what is buffered and stop (the worker is about to exit)."""
        self.provider.shutdown()

    # servers
    def server(self, method: str, path: str, handler: Handler) -> Handler:
        """`handler` in a SERVER span continuing the request headers' trace (Router.wrap)."""
        name = f"{method} {path}"
        tracer, extract = self.tracer, self.propagator.extract

        async def traced(request: Request) -> Response:
            with tracer.start_as_current_span(
                name,
                context=extract(request.headers),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": request.path},
            ) as span:
                response = await handler(request)
                span.set_attribute("http.response.status_code", response.status)
                if response.status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                return response

        return traced

    def interceptor(self) -> grpc.aio.ServerInterceptor:
        """A gRPC server interceptor: each unary call in a SERVER span, as `server`."""
        return _Interceptor(self)

    # the executor
    def node(self, visit: Visit) -> Visit:
        """The executor's node walk in one span per node."""
        tracer = self.tracer

        async def traced(node: RuntimeNode, msg: dict[str, Any], walk: Any) -> dict[str, Any]:
            attributes = {"infergraph.node.name": node.name, "infergraph.node.type": node.type}
            if node.implementation:
                attributes["infergraph.node.implementation"] = node.implementation
            with tracer.start_as_current_span(
                node.name, attributes=attributes, set_status_on_exception=False
            ) as span:
                try:
                    out = await visit(node, msg, walk)
                except Exception as exc:
                    _failed(span, exc)
                    raise
                finally:
                    branch = walk.routing.get(node.name)
                    if node.kind.routes and branch is not None:
                        span.set_attribute("infergraph.node.routing", branch)
                        if branch >= 0:
                            span.set_attribute("infergraph.node.route", node.children[branch].name)
                span.set_status(Status(StatusCode.OK))
                return out

        return traced

    # node calls
    def headers(self, base: Mapping[str, str]) -> dict[str, str]:
        """`base` plus the current context's propagation headers."""
        carrier = dict(base)
        self.propagator.inject(carrier)
        return carrier

    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The current context's propagation headers as gRPC metadata."""
        carrier: dict[str, str] = {}
        self.propagator.inject(carrier)
        return tuple(carrier.items())


class _Interceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Wraps each unary-unary method handler in a SERVER span named after the method."""

    def __init__(self, tracing: Tracing) -> None:
        self.tracing = tracing

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary
        name = str(handler_call_details.method)
        tracer, extract = self.tracing.tracer, self.tracing.propagator.extract

        async def traced(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            carrier = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
            with tracer.start_as_current_span(
                name,
                context=extract(carrier),
                kind=SpanKind.SERVER,
                attributes={"rpc.system": "grpc", "rpc.method": name},
                set_status_on_exception=False,
            ) as span:
                try:
                    answer = await inner(request, context)
                except BaseException as exc:
                    code = context.code()
                    span.set_status(Status(StatusCode.ERROR, context.details() or repr(exc)))
                    if isinstance(code, grpc.StatusCode):
                        span.set_attribute("rpc.grpc.status_code", code.value[0])
                    raise
                span.set_attribute("rpc.grpc.status_code", 0)
                return answer

        return grpc.unary_unary_rpc_method_handler(
            traced,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
