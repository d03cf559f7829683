"""Free loopback ports for the servers tests and benchmarks start, chosen where nothing else
takes them (the tests import it too: pytest's pythonpath has bench/).

A port from `bind(0)` lies in the kernel's ephemeral range, the range every outgoing
connection draws its source port from: between our probe and the server's own bind, a client
connection (ours or another process's) can take it, and the server then fails with "address
already in use". Ports below that range are only ever taken by an explicit bind, so a block
probed free there stays free for our servers; a random start keeps concurrent runs apart.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

__all__ = ["UP_PORTS", "free_port", "free_port_block"]

_LOWEST = 10_000
# ports one `infergraph up` of an example graph may take from its --port up
UP_PORTS = 60
_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (32768 where the kernel does not say)."""
    try:
        return int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _bindable(port: int) -> bool:
    """True when `port` binds on loopback as our servers bind it (SO_REUSEADDR).

    A port held only by closed connections in TIME_WAIT is free for them: thousands are,
    after a load test.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_block(size: int = UP_PORTS) -> int:
    """A base port with `size` consecutive ports above it free on loopback, below the
    ephemeral range."""
    top = _ephemeral_start() - size
    if top <= _LOWEST:
        raise RuntimeError(f"no room for {size} ports below the ephemeral range")
    for _ in range(200):
        base = random.randrange(_LOWEST, top)
        if all(_bindable(port) for port in range(base, base + size)):
            return base
    raise RuntimeError(f"no free block of {size} loopback ports")


def free_port() -> int:
    """One port free on loopback, below the ephemeral range."""
    return free_port_block(1)
