"""Requests, responses and their wire form: what handlers see and what goes back out."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import orjson

__all__ = ["HttpError", "Request", "Response", "encode_response", "error_response", "json_response"]

_REASONS = {s.value: s.phrase.encode() for s in HTTPStatus}


class HttpError(Exception):
    """An error that carries its HTTP status; answered as `{"error": message}`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """One parsed request; header names are lower case."""

    __slots__ = ("body", "headers", "method", "params", "path", "query")

    def __init__(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.params: dict[str, str] = {}


class Response:
    """Status, body bytes, content type and any extra headers.

    `content_length` declares the length of a body that is not at hand: a proxy's answer to
    HEAD, whose upstream said how long its GET answer is. Otherwise it is `len(body)`.
    """

    __slots__ = ("body", "content_length", "content_type", "headers", "status")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str = "application/json",
        headers: list[tuple[str, str]] | None = None,
        content_length: int | None = None,
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = headers
        self.content_length = content_length


def json_response(obj: Any, status: int = 200) -> Response:
    """Serialise `obj` with orjson (numpy arrays included) into a JSON response."""
    return Response(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY), status)


def error_response(status: int, message: str) -> Response:
    """`{"error": message}` with `status`, the shape of every error we answer."""
    return Response(orjson.dumps({"error": message}), status)


def encode_response(response: Response, keep_alive: bool, head_only: bool) -> bytes:
    """The response on the wire; `head_only` (HEAD) keeps the headers, drops the body."""
    body = response.body
    length = len(body) if response.content_length is None else response.content_length
    parts = [
        b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n"
        % (
            response.status,
            _REASONS.get(response.status, b"Unknown"),
            response.content_type.encode("latin-1"),
            length,
        )
    ]
    if response.headers:
        parts.extend(f"{k}: {v}\r\n".encode("latin-1") for k, v in response.headers)
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts.append(b"\r\n")
    if not head_only:
        parts.append(body)
    return b"".join(parts)
