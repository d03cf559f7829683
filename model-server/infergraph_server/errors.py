"""Errors the data plane raises; each carries the HTTP status the adapters answer with."""

from __future__ import annotations

__all__ = ["BadRequest", "InferenceError", "ModelError", "ModelNotFound", "NotReady"]


class InferenceError(Exception):
    """Base: a request could not be answered; `status` is the HTTP code (gRPC maps it)."""

    status = 500
    reason = "MICROSERVICE_INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(InferenceError):
    """The payload is malformed or does not fit the model (400)."""

    status = 400
    reason = "MICROSERVICE_BAD_DATA"


class ModelNotFound(InferenceError):
    """The V2 model name is not served here (404)."""

    status = 404
    reason = "MICROSERVICE_MODEL_NOT_FOUND"


class NotReady(InferenceError):
    """The model is still loading or the server is shutting down (503)."""

    status = 503
    reason = "MICROSERVICE_NOT_READY"


class ModelError(InferenceError):
    """User code raised; the message is the exception's (500, the base's status and reason)."""
