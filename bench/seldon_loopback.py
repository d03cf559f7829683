"""Run ``seldon-core-microservice`` with every listener on 127.0.0.1 instead of 0.0.0.0.

seldon-core 1.17.1 hard-codes the wildcard address for its REST (gunicorn), gRPC and
metrics servers; servers started here must listen on loopback only. This launcher rewrites
wildcard binds before handing over to seldon's own ``main`` (same arguments), in the peers
venv. Worker processes are forked, so they inherit the rewrite.
"""

from __future__ import annotations

import socket
from typing import Any

import grpc._server
from seldon_core.microservice import main

__all__ = ["main"]

_WILDCARDS = {"", "0.0.0.0", "::"}
_socket_bind = socket.socket.bind
_grpc_add_port = grpc._server._Server.add_insecure_port


def _bind_loopback(self: socket.socket, address: Any) -> None:
    if isinstance(address, tuple) and address[0] in _WILDCARDS:
        loopback = "::1" if self.family == socket.AF_INET6 else "127.0.0.1"
        address = (loopback, *address[1:])
    _socket_bind(self, address)


def _grpc_loopback(self: Any, address: str) -> int:
    host, _, port = address.rpartition(":")
    return int(_grpc_add_port(self, f"127.0.0.1:{port}" if host in _WILDCARDS else address))


socket.socket.bind = _bind_loopback  # type: ignore[method-assign,assignment]
grpc._server._Server.add_insecure_port = _grpc_loopback

if __name__ == "__main__":
    main()
