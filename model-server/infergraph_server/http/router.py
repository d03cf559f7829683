"""Method + path routing with `{param}` segments; static paths are one dict lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infergraph_server.http.messages import Request, Response

__all__ = ["Handler", "Router"]

Handler = Callable[["Request"], Awaitable["Response"]]


class Router:
    """Maps (method, path) to a handler; templated paths like `/v2/models/{name}/infer`."""

    def __init__(self) -> None:
        self._static: dict[tuple[str, str], Handler] = {}
        self._templates: list[tuple[str, tuple[str, ...], Handler]] = []
        self._paths: set[str] = set()

    def add(self, method: str, path: str, handler: Handler) -> None:
        """Register `handler` for `method` on `path` (segments in braces are parameters)."""
        self._paths.add(path)
        if "{" in path:
            self._templates.append((method, tuple(path.strip("/").split("/")), handler))
        else:
            self._static[(method, path)] = handler

    def get(self, path: str, handler: Handler) -> None:
        """Register a GET handler (HEAD is answered by it too)."""
        self.add("GET", path, handler)
        self.add("HEAD", path, handler)

    def post(self, path: str, handler: Handler) -> None:
        """Register a POST handler."""
        self.add("POST", path, handler)

    def wrap(self, method: str, wrapper: Callable[[str, str, Handler], Handler]) -> None:
        """Replace each `method` handler by `wrapper(method, path, handler)`, once, at start:
        instrumentation that is off costs requests nothing, not even a check."""
        for (m, path), handler in self._static.items():
            if m == method:
                self._static[(m, path)] = wrapper(m, path, handler)
        self._templates = [
            (m, parts, wrapper(m, "/" + "/".join(parts), h) if m == method else h)
            for m, parts, h in self._templates
        ]

    def match(self, method: str, path: str) -> tuple[Handler | None, dict[str, str], bool]:
        """Return (handler, path params, path_known); path_known tells 405 from 404."""
        handler = self._static.get((method, path))
        if handler is not None:
            return handler, {}, True
        parts = path.strip("/").split("/")
        known = path in self._paths
        for tmethod, tparts, thandler in self._templates:
            params = _bind(tparts, parts)
            if params is None:
                continue
            if tmethod == method:
                return thandler, params, True
            known = True
        return None, {}, known


def _bind(template: tuple[str, ...], parts: list[str]) -> dict[str, str] | None:
    if len(template) != len(parts):
        return None
    params: dict[str, str] = {}
    for want, got in zip(template, parts, strict=True):
        if want.startswith("{"):
            if not got:
                return None
            params[want[1:-1]] = got
        elif want != got:
            return None
    return params
