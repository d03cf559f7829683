"""COMBINER: every child gets the message; Seldon `/aggregate` makes one answer of theirs.

There is no V2 aggregate call, so in a V2 graph the children's tensors go as Seldon messages
and the answer comes back as a tensor named after the first child's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Calls, Message, NodeKind

if TYPE_CHECKING:
    from infergraph_server.orchestrator.graph import RuntimeNode

__all__ = ["Combiner"]


class Combiner(NodeKind):
    name = "COMBINER"
    answers_last = True

    async def combine(
        self, calls: Calls, node: RuntimeNode, outs: list[Message], walk: Any
    ) -> Message:
        messages = [calls.to_seldon(out) for out in outs]
        answer = await calls.call(node, "/aggregate", {"seldonMessages": messages}, walk, False)
        return calls.from_seldon(answer, outs[0])
