"""One object per graph node type, looked up by the type's name (MLServer's runtimes, httpx's
transports): what the orchestrator calls on a node of the type, how it routes or combines,
whether it learns from feedback, and which user method a component of the type runs for V2.

Adding a node type: a `NodeKind` subclass in a module here, its line in `NODE_KINDS`, and its
tests. The table is keyed by the vocabulary's node type names (`vocabulary.NODE_TYPES`; a test
keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Calls, Message, NodeKind
from .combiner import Combiner
from .model import Model
from .router import Router
from .transformer import OutputTransformer, Transformer

__all__ = ["NODE_KINDS", "Calls", "Message", "NodeKind"]

NODE_KINDS: Mapping[str, NodeKind] = {
    kind.name: kind for kind in (Model(), Transformer(), OutputTransformer(), Router(), Combiner())
}
