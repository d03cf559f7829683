"""MODEL: predicts on its input (Seldon `/predict`, V2 infer) and learns from feedback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Calls, Message, NodeKind

if TYPE_CHECKING:
    from infergraph_server.orchestrator.graph import RuntimeNode

__all__ = ["Model"]


class Model(NodeKind):
    name = "MODEL"
    v2_method = "predict"
    learns = True

    async def enter(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> Message:
        return await calls.transform(node, "/predict", msg, walk)
