"""The check of an http(s) URL a server will connect to: a logger's url, a detector's
eventsUrl, the tracing endpoint. One place, since `urlsplit` alone accepts a port (99999) that it
then refuses to read, which would fail only at run time. The server runs this same module from
its generated copy (model-server/infergraph_server/urls.py, `make schemas`)."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["http_url_problem"]


def http_url_problem(url: str) -> str | None:
    """Why `url` is not an http:// or https:// URL with a host (and a port from 1 to 65535 if
    it names one), as `is not ...`; None when it is one."""
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = urlsplit(""), False
    spaced = any(c.isspace() for c in url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or spaced:
        return "is not an http(s) URL with a host"
    return None
