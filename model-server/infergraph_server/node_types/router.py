"""ROUTER: Seldon `/route` names one child (or -1: all of them); feedback comes back to it.

A child that is not ready (the orchestrator's readiness state, readiness.py) is not sent to:
the request fails at once with a 503 naming it, or, when the graph sets `fallback` on the
router, goes to the next ready child in the graph's order, and `meta.routing` records the
child that answered, so feedback rewards the right arm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infergraph_server.orchestrator.errors import NodeError

from .base import Calls, Message, NodeKind

if TYPE_CHECKING:
    from infergraph_server.orchestrator.graph import RuntimeNode

__all__ = ["Router", "branch_of"]


def branch_of(node: RuntimeNode, answer: Message) -> int:
    """The child index a `/route` answer names (`data.ndarray[0][0]` or the tensor's first)."""
    data: Any = answer.get("data")
    try:
        if "ndarray" in data:
            value = data["ndarray"][0]
            value = value[0] if isinstance(value, list) else value
        else:
            value = data["tensor"]["values"][0]
        branch = int(value)
    except (TypeError, KeyError, IndexError, ValueError):
        raise NodeError(node.name, 502, "answered /route without a child index") from None
    if not -1 <= branch < len(node.children):
        raise NodeError(node.name, 502, f"chose child {branch}; it has {len(node.children)}")
    return branch


class Router(NodeKind):
    name = "ROUTER"
    routes = True
    learns = True

    async def choose(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> int:
        branch = branch_of(node, await calls.call(node, "/route", calls.to_seldon(msg), walk))
        if branch < 0:
            return branch
        down = calls.unavailable(node.children[branch])
        if down is None:
            return branch
        count = len(node.children)
        if node.fallback:
            for step in range(1, count):
                other = (branch + step) % count
                if calls.unavailable(node.children[other]) is None:
                    return other
        why = "no other child is ready" if node.fallback else "its fallback is off"
        chose = f"router {node.name!r} chose child {branch} ({node.children[branch].name!r})"
        raise NodeError(down.name, 503, f"is not ready; {chose} and {why}")
