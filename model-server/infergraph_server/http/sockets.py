"""Socket settings both ends of our HTTP connections need."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import cast

__all__ = ["nodelay_transport"]


def nodelay_transport(transport: asyncio.BaseTransport) -> asyncio.Transport:
    """The transport as a stream transport, with Nagle's algorithm off.

    Small request/response pairs otherwise wait for delayed ACKs (~40 ms per call).
    """
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return cast(asyncio.Transport, transport)  # uvloop's is not a subclass
