"""gRPC adapter: Seldon Model/Generic/Seldon services and V2 GRPCInferenceService."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import json_format

from infergraph_server.codecs.grpc import (
    dict_to_message,
    infer_request_from_pb,
    infer_response_to_pb,
    message_to_dict,
)
from infergraph_server.component.dataplane import DataPlane, V2Model
from infergraph_server.errors import InferenceError
from infergraph_server.proto import inference_pb2 as v2
from infergraph_server.proto import inference_pb2_grpc as v2_grpc
from infergraph_server.proto import prediction_pb2 as sp
from infergraph_server.proto import prediction_pb2_grpc as sp_grpc

__all__ = ["InferenceServicer", "grpc_adders", "guard", "seldon_call"]

_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    404: grpc.StatusCode.NOT_FOUND,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}


async def guard(context: grpc.aio.ServicerContext, call: Awaitable[Any]) -> Any:
    """Await `call`; an InferenceError aborts the RPC with the code its HTTP status maps to."""
    try:
        return await call
    except InferenceError as exc:
        await context.abort(_CODES.get(exc.status, grpc.StatusCode.INTERNAL), exc.message)


async def seldon_call(
    fn: Callable[[Any], Awaitable[dict[str, Any]]], request: Any, context: Any
) -> sp.SeldonMessage:
    """Run a Seldon call on the message's dict form and answer a `SeldonMessage`, guarded."""

    async def go() -> sp.SeldonMessage:
        out = await fn(message_to_dict(request))
        return dict_to_message(out, sp.SeldonMessage())

    return await guard(context, go())


class SeldonServicer:
    """One implementation behind the Model, Generic and Seldon services."""

    def __init__(self, plane: DataPlane) -> None:
        self.plane = plane

    async def Predict(self, request: Any, context: Any) -> Any:
        return await seldon_call(self.plane.predict, request, context)

    async def TransformInput(self, request: Any, context: Any) -> Any:
        return await seldon_call(
            lambda m: self.plane.transform("transform_input", m), request, context
        )

    async def TransformOutput(self, request: Any, context: Any) -> Any:
        return await seldon_call(
            lambda m: self.plane.transform("transform_output", m), request, context
        )

    async def Route(self, request: Any, context: Any) -> Any:
        return await seldon_call(self.plane.route, request, context)

    async def Aggregate(self, request: Any, context: Any) -> Any:
        return await seldon_call(self.plane.aggregate, request, context)

    async def SendFeedback(self, request: Any, context: Any) -> Any:
        return await seldon_call(self.plane.send_feedback, request, context)

    async def Metadata(self, request: Any, context: Any) -> Any:
        return json_format.ParseDict(
            {k: v for k, v in self.plane.metadata.items() if k in ("name", "versions", "platform")},
            sp.SeldonModelMetadata(),
        )

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        return await self.Metadata(request, context)


class InferenceServicer:
    """V2 gRPC over a `V2Model`: a node's data plane or the orchestrator's front."""

    def __init__(self, model: V2Model, ready: Callable[[], bool]) -> None:
        self.model = model
        self.ready = ready

    async def ServerLive(self, request: Any, context: Any) -> Any:
        return v2.ServerLiveResponse(live=True)

    async def ServerReady(self, request: Any, context: Any) -> Any:
        return v2.ServerReadyResponse(ready=self.ready())

    async def ModelReady(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            self.model.check_model(request.name)
            return v2.ModelReadyResponse(ready=self.ready())

        return await guard(context, go())

    async def ServerMetadata(self, request: Any, context: Any) -> Any:
        return v2.ServerMetadataResponse(**self.model.server_metadata())

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            meta = self.model.model_metadata(request.name)
            return json_format.ParseDict(
                meta, v2.ModelMetadataResponse(), ignore_unknown_fields=True
            )

        return await guard(context, go())

    async def ModelInfer(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            self.model.check_model(request.model_name)  # 404 before decoding the tensors
            req = infer_request_from_pb(request)
            outputs = await self.model.infer(request.model_name, req)
            return infer_response_to_pb(request.model_name, req, outputs)

        return await guard(context, go())


def grpc_adders(plane: DataPlane) -> list[Callable[[grpc.aio.Server], None]]:
    """Functions that add this node's gRPC services to a server."""
    seldon = SeldonServicer(plane)
    inference = InferenceServicer(plane, lambda: plane.ready)
    return [
        lambda s: sp_grpc.add_ModelServicer_to_server(seldon, s),
        lambda s: sp_grpc.add_GenericServicer_to_server(seldon, s),
        lambda s: sp_grpc.add_SeldonServicer_to_server(seldon, s),
        lambda s: v2_grpc.add_GRPCInferenceServiceServicer_to_server(inference, s),
    ]
