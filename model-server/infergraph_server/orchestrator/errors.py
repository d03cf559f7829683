"""Errors the orchestrator answers with; each carries the HTTP status it maps to.

They are the component server's `InferenceError`s, so the codecs' `BadRequest` and these go
through the same REST and gRPC error paths.
"""

from __future__ import annotations

from infergraph_server.errors import InferenceError

__all__ = ["NodeError", "OrchestratorError", "Overloaded"]


class OrchestratorError(InferenceError):
    """Base: `status` is the HTTP status of the answer, the message its reason."""

    status = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class NodeError(OrchestratorError):
    """A graph node failed: unreachable (503), too slow (504), or answered an error."""

    def __init__(self, node: str, status: int, cause: str) -> None:
        super().__init__(f"node {node!r} {cause}", status)
        self.node = node


class Overloaded(OrchestratorError):
    """More requests in flight than `maxConcurrency`: refused at once rather than queued."""

    status = 503
