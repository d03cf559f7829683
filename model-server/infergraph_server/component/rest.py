"""REST adapter: Seldon and V2 endpoints over the HTTP core, calling the data plane."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import orjson

from infergraph_server.codecs.seldon import error_body
from infergraph_server.codecs.v2 import HEADER_LENGTH, decode_infer_request, encode_infer_response
from infergraph_server.component.dataplane import DataPlane, V2Model
from infergraph_server.errors import BadRequest, InferenceError, ModelError
from infergraph_server.http import Handler, Request, Response, Router

__all__ = ["add_routes", "seldon_failure", "v2_endpoint", "v2_infer"]

_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def _seldon_payload(req: Request) -> Any:
    """JSON body, or Seldon's form field / query parameter `json=`."""
    raw: bytes | str = req.body
    if req.body.startswith(b"json="):
        raw = (parse_qs(req.body.decode("latin-1")).get("json") or [""])[0]
    elif not req.body and req.query:
        raw = (parse_qs(req.query).get("json") or [""])[0]
    if not raw:
        raise BadRequest("request body is empty; expected a JSON Seldon message")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None


def _dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj, option=_NUMPY)
    except TypeError as exc:
        raise ModelError(f"the model's output cannot be written as JSON: {exc}") from None


def seldon_failure(exc: InferenceError, reason: str | None = None) -> Response:
    """A Seldon-protocol failure answer with the error's status (reason: the error's own)."""
    body = error_body(exc.status, exc.message, exc.reason if reason is None else reason)
    return Response(orjson.dumps(body), exc.status)


def _seldon_endpoint(call: Callable[[Any], Awaitable[dict[str, Any]]]) -> Handler:
    """A Seldon endpoint: payload to `call`, its answer as JSON, errors as Seldon `status`."""

    async def handle(req: Request) -> Response:
        try:
            return Response(_dumps(await call(_seldon_payload(req))))
        except InferenceError as exc:
            return seldon_failure(exc)

    return handle


def v2_endpoint(call: Handler) -> Handler:
    """A V2 endpoint: errors answer `{"error": message}` with their HTTP status."""

    async def handle(req: Request) -> Response:
        try:
            return await call(req)
        except InferenceError as exc:
            return Response(orjson.dumps({"error": exc.message}), exc.status)

    return handle


async def v2_infer(model: V2Model, req: Request) -> Response:
    """`POST /v2/models/{name}/infer` on a data plane or orchestrator front, JSON or binary."""
    name = req.params["name"]
    model.check_model(name)  # 404 before decoding the tensors
    request = decode_infer_request(req.body, req.headers.get(HEADER_LENGTH))
    body, header_length = encode_infer_response(name, request, await model.infer(name, request))
    if header_length is None:
        return Response(body)
    # binary tensor data: tritonclient looks for this exact header
    return Response(
        body,
        content_type="application/octet-stream",
        headers=[("Inference-Header-Content-Length", header_length)],
    )


def add_routes(router: Router, plane: DataPlane) -> None:
    """Register every Seldon and V2 endpoint of a component on `router`."""
    timed = plane.metrics.timed

    def v2(endpoint: str, call: Handler) -> Handler:
        return timed(endpoint, v2_endpoint(call))

    async def transform_input(msg: Any) -> dict[str, Any]:
        return await plane.transform("transform_input", msg)

    async def transform_output(msg: Any) -> dict[str, Any]:
        return await plane.transform("transform_output", msg)

    for path, call in (
        ("/predict", plane.predict),
        ("/api/v1.0/predictions", plane.predict),
        ("/transform-input", transform_input),
        ("/transform-output", transform_output),
        ("/route", plane.route),
        ("/aggregate", plane.aggregate),
        ("/send-feedback", plane.send_feedback),
        ("/api/v1.0/feedback", plane.send_feedback),
    ):
        handler = timed(path, _seldon_endpoint(call))
        router.post(path, handler)
        router.get(path, handler)  # Seldon also accepts GET ?json=

    async def ping(_: Request) -> Response:
        return Response(b"pong", content_type="text/plain")

    async def health_status(_: Request) -> Response:
        try:
            return Response(_dumps(await plane.health_status()))
        except InferenceError as exc:
            return seldon_failure(exc)

    async def metadata(_: Request) -> Response:
        return Response(_dumps(plane.metadata), 200 if plane.ready else 503)

    async def live(_: Request) -> Response:
        return Response(b'{"live":true}')

    async def ready(_: Request) -> Response:
        return Response(b'{"ready":true}') if plane.ready else Response(b'{"ready":false}', 503)

    async def server_metadata(_: Request) -> Response:
        return Response(orjson.dumps(plane.server_metadata()))

    async def model_metadata(req: Request) -> Response:
        return Response(_dumps(plane.model_metadata(req.params["name"])))

    async def model_ready(req: Request) -> Response:
        plane.check_model(req.params["name"])
        return await ready(req)

    router.get("/health/ping", ping)
    router.get("/health/status", health_status)
    router.get("/metadata", metadata)
    router.get("/v2/health/live", v2("/v2/health/live", live))
    router.get("/v2/health/ready", v2("/v2/health/ready", ready))
    router.get("/v2", v2("/v2", server_metadata))
    router.get("/v2/models/{name}", v2("/v2/models/{name}", model_metadata))
    router.get("/v2/models/{name}/ready", v2("/v2/models/{name}/ready", model_ready))
    router.post("/v2/models/{name}/infer", v2("/v2/models/{name}/infer", partial(v2_infer, plane)))
