"""TRANSFORMER and OUTPUT_TRANSFORMER: change the message before or after the children."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Calls, Message, NodeKind

if TYPE_CHECKING:
    from infergraph_server.orchestrator.graph import RuntimeNode

__all__ = ["OutputTransformer", "Transformer"]


class Transformer(NodeKind):
    """Seldon `/transform-input` (V2 infer runs `transform_input`) before the children."""

    name = "TRANSFORMER"
    v2_method = "transform_input"

    async def enter(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> Message:
        return await calls.transform(node, "/transform-input", msg, walk)


class OutputTransformer(NodeKind):
    """Seldon `/transform-output` (V2 infer runs `transform_output`) on the children's answer."""

    name = "OUTPUT_TRANSFORMER"
    v2_method = "transform_output"
    answers_last = True

    async def leave(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> Message:
        return await calls.transform(node, "/transform-output", msg, walk)
