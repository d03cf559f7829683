"""The orchestrator's gRPC API: Seldon `Seldon` and V2 `GRPCInferenceService` over the front.

The component server's protobuf codecs and error mapping (`guard`) are reused as they are;
a node error aborts the call with the code its HTTP status maps to and the node's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import json_format

from infergraph_server.codecs.grpc import (
    dict_to_message,
    infer_request_from_pb,
    infer_response_to_pb,
    message_to_dict,
)
from infergraph_server.grpc_server import guard
from infergraph_server.proto import inference_pb2 as v2
from infergraph_server.proto import inference_pb2_grpc as v2_grpc
from infergraph_server.proto import prediction_pb2 as sp
from infergraph_server.proto import prediction_pb2_grpc as sp_grpc

from .frontend import Frontend

__all__ = ["grpc_adders"]


class SeldonServicer:
    """Seldon `Seldon` service: Predict, SendFeedback and ModelMetadata of the graph."""

    def __init__(self, front: Frontend) -> None:
        self.front = front

    async def Predict(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            out = await self.front.predict(message_to_dict(request))
            return dict_to_message(out, sp.SeldonMessage())

        return await guard(context, go())

    async def SendFeedback(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            out = await self.front.feedback(message_to_dict(request))
            return dict_to_message(out, sp.SeldonMessage())

        return await guard(context, go())

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        meta = self.front.model_metadata(self.front.graph.graph)
        return sp.SeldonModelMetadata(name=meta["name"], platform=meta["platform"])


class InferenceServicer:
    """V2 health, metadata and ModelInfer on the graph (model name = graph name)."""

    def __init__(self, front: Frontend, ready: Callable[[], bool]) -> None:
        self.front = front
        self.ready = ready

    async def ServerLive(self, request: Any, context: Any) -> Any:
        return v2.ServerLiveResponse(live=True)

    async def ServerReady(self, request: Any, context: Any) -> Any:
        return v2.ServerReadyResponse(ready=self.ready())

    async def ModelReady(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            self.front.check_model(request.name)
            return v2.ModelReadyResponse(ready=self.ready())

        return await guard(context, go())

    async def ServerMetadata(self, request: Any, context: Any) -> Any:
        return v2.ServerMetadataResponse(**self.front.server_metadata())

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            meta = self.front.model_metadata(request.name)
            return json_format.ParseDict(
                meta, v2.ModelMetadataResponse(), ignore_unknown_fields=True
            )

        return await guard(context, go())

    async def ModelInfer(self, request: Any, context: Any) -> Any:
        async def go() -> Any:
            self.front.check_model(request.model_name)
            infer = infer_request_from_pb(request)
            outputs = await self.front.infer(request.model_name, infer)
            return infer_response_to_pb(request.model_name, infer, outputs)

        return await guard(context, go())


def grpc_adders(
    front: Frontend, ready: Callable[[], bool]
) -> list[Callable[[grpc.aio.Server], None]]:
    """Functions that add the orchestrator's gRPC services to a server."""
    seldon = SeldonServicer(front)
    inference = InferenceServicer(front, ready)
    return [
        lambda s: sp_grpc.add_SeldonServicer_to_server(seldon, s),
        lambda s: v2_grpc.add_GRPCInferenceServiceServicer_to_server(inference, s),
    ]
