"""Prepackaged servers, selected by `--implementation`: the registry is the declaration.

Each implementation declared in implementations.json names its class as `server:
"module:Class"` (a module of this package); the registry imports them all, so a declared
implementation without its class fails at import, and a test checks that every class here is
declared with the node type whose method it has.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from infergraph_server.vocabulary import IMPLEMENTATIONS, PREPACKAGED_PACKAGE

__all__ = ["PREPACKAGED", "server_class"]


def server_class(server: str) -> type:
    """The class a declaration's `server` ("module:Class") names."""
    module, _, name = server.partition(":")
    found: type = getattr(importlib.import_module(f"{PREPACKAGED_PACKAGE}.{module}"), name)
    return found


#: Implementation name -> its server class, in declaration order.
PREPACKAGED: Mapping[str, type] = {
    name: server_class(declared.server) for name, declared in IMPLEMENTATIONS.items()
}
