"""What every node type is: the stages the executor runs on a node, and what it may call.

A node type is one `NodeKind` object. The executor walks a node as
`enter` (its own call before the children), `choose` (which child, or -1 for all of them),
`combine` (the children's outputs into one) and `leave` (its own call after the children);
the base class does nothing at each stage, so a type overrides only what it does. The
executor gives each stage a `Calls` (itself): the node calls it makes go through there, with
the node's compiled protocol, timeout, retries and readiness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from infergraph_server.orchestrator.graph import RuntimeNode

__all__ = ["Calls", "Message", "NodeKind"]

Message = dict[str, Any]


class Calls(Protocol):
    """The executor's node calls, as a node type's stages use them."""

    async def transform(
        self, node: RuntimeNode, seldon_path: str, msg: Message, walk: Any
    ) -> Message:
        """The node's own call on a graph message: Seldon `seldon_path` or V2 infer, as the
        node's `protocol` says; the answer is a graph message again."""
        ...

    async def call(
        self, node: RuntimeNode, path: str, msg: Message, walk: Any, meta: bool = True
    ) -> Message:
        """A Seldon call with a Seldon message; its answer with the meta merged and removed."""
        ...

    def to_seldon(self, msg: Message) -> Message:
        """A graph message as a Seldon message (itself in a Seldon graph)."""
        ...

    def from_seldon(self, answer: Message, like: Message) -> Message:
        """A Seldon answer as a graph message shaped like `like` (itself in a Seldon graph)."""
        ...

    def unavailable(self, node: RuntimeNode) -> RuntimeNode | None:
        """The first node of `node`'s subtree that is not ready; None when all are."""
        ...


class NodeKind:
    """One node type. Class attributes are facts about the type; methods are its stages."""

    name: ClassVar[str]
    #: the user-class method a component of this type runs for V2 infer; None: the type has
    #: no V2 call, so the orchestrator calls it over the Seldon protocol in any graph
    v2_method: ClassVar[str | None] = None
    #: it picks one child; `meta.routing` records the pick and feedback follows it back
    routes: ClassVar[bool] = False
    #: it learns from feedback: the orchestrator sends it `/send-feedback`
    learns: ClassVar[bool] = False
    #: its own output, made after its children, is its subtree's answer
    answers_last: ClassVar[bool] = False

    async def enter(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> Message:
        """Before the children: the message they get."""
        return msg

    async def choose(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> int:
        """The child index to send to, or -1 for every child (a fan-out)."""
        return -1

    async def combine(
        self, calls: Calls, node: RuntimeNode, outs: list[Message], walk: Any
    ) -> Message:
        """The children's outputs (one per child called) as one message."""
        return outs[0]

    async def leave(self, calls: Calls, node: RuntimeNode, msg: Message, walk: Any) -> Message:
        """After the children: the node's answer."""
        return msg
