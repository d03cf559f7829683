"""The orchestrator's gRPC API: Seldon `Seldon` and V2 `GRPCInferenceService` over the front.

The component server's V2 servicer and Seldon call path (`seldon_call`, `guard`) serve the
graph's front as they serve a node's data plane; a node error aborts the call with the code its
HTTP status maps to and the node's name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

from infergraph_server.component.grpc_server import InferenceServicer, seldon_call
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
        return await seldon_call(self.front.predict, request, context)

    async def SendFeedback(self, request: Any, context: Any) -> Any:
        return await seldon_call(self.front.feedback, request, context)

    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        meta = self.front.model_metadata(self.front.graph.graph)
        return sp.SeldonModelMetadata(name=meta["name"], platform=meta["platform"])


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
