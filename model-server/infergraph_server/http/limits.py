"""What the HTTP server accepts from a client, and for how long it waits on one.

Defaults sit near nginx and Apache (8 KiB request line and header, 100 headers) with a
64 KiB header block; a client past a limit gets 414 or 431 and the connection closes, so
one hostile client costs a bounded amount of memory and time however large it sends.
"""

from __future__ import annotations

import dataclasses
import logging
import resource

__all__ = ["HttpLimits", "fit_to_fd_limit"]

log = logging.getLogger(__name__)

_FD_RESERVE = 1024  # descriptors kept for outgoing calls, files, gRPC and the like


@dataclasses.dataclass(frozen=True)
class HttpLimits:
    """Per-request size limits, connection timeouts and the connection cap of one process."""

    max_body_bytes: int = 10 * 1024 * 1024
    """Larger bodies get 413 (a declared Content-Length at once, before any body is read)."""
    max_request_line_bytes: int = 8192
    """Longer request targets (the URL) get 414."""
    max_header_bytes: int = 8192
    """One header line (name and value) longer than this gets 431."""
    max_header_count: int = 100
    """More distinct header names than this get 431 (repeats count towards max_head_bytes)."""
    max_head_bytes: int = 65536
    """Request line and all headers together larger than this get 431."""
    header_timeout_seconds: float = 10.0
    """Seconds a client gets to send a whole header block (from connecting, or from the first
    byte of a following request); then 408 and close. 0: no limit."""
    keepalive_timeout_seconds: float = 75.0
    """Seconds an idle keep-alive connection, or a stalled request body, stays open. Keep it
    above the idle timeout of any proxy in front, which may otherwise reuse a connection just
    as it closes. 0: no limit."""
    max_connections: int = 10000
    """Open connections per process; a connection beyond them is answered 503 and closed."""


def fit_to_fd_limit(limits: HttpLimits) -> HttpLimits:
    """`limits` with a connection cap this process has file descriptors for.

    Raises the soft RLIMIT_NOFILE towards the hard one when the cap needs it (as the Go
    runtime does at start); if even the hard limit is too low, lowers the cap and says so.
    """
    need = limits.max_connections + _FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        wanted = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= need:
        return limits
    cap = max(1, soft - _FD_RESERVE if soft > 2 * _FD_RESERVE else soft // 2)
    log.warning(
        "max_connections %d lowered to %d: the open-file limit is %d",
        limits.max_connections,
        cap,
        soft,
    )
    return dataclasses.replace(limits, max_connections=cap)
