"""`infergraph-server logsink`: the graph's log sink, a CloudEvents receiver writing JSON Lines.

Any `POST` path takes one CloudEvent in binary or structured HTTP mode (the `cloudevents`
SDK reads it), as the orchestrators' payload logging and Seldon Core v1's executor send them.
Each event is appended as one line of the CloudEvents JSON format (attributes, and `data` as
JSON, or `data_base64`) to `DIR/<graph>/<node>/<YYYY-MM-DD>.jsonl` (the UTC day it arrived;
graph from `ce-inferenceservicename`, node from `ce-modelid`, both DNS-1123 labels) and to
stdout for a cluster's log collector. One `write` per line on an append-only descriptor, so
lines of concurrent events never interleave. A malformed event is answered 400 naming why.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infergraph_server.http import Request, Response, json_response
from infergraph_server.http.messages import error_response
from infergraph_server.metrics import Metrics
from infergraph_server.runner import Service, serve
from infergraph_server.settings import ServerSettings, SettingsError, add_server_flags, setting

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["LogSinkService", "LogSinkSettings", "event_line", "register"]

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_PLACES = (("inferenceservicename", "graph"), ("modelid", "node"))


@dataclasses.dataclass(frozen=True)
class LogSinkSettings(ServerSettings):
    """Settings of `infergraph-server logsink`."""

    directory: str = "/var/lib/infergraph/logs"
    """Where the JSON Lines files go (INFERGRAPH_LOG_DIRECTORY, --directory)."""


class BadEvent(ValueError):
    """A request that is not a CloudEvent the sink can file; the message says why."""


def event_line(headers: dict[str, str], body: bytes) -> tuple[str, str, bytes]:
    """(graph, node, the JSON line) of one HTTP-encoded CloudEvent; BadEvent when it is not."""
    from cloudevents.core.bindings.http import HTTPMessage, from_http
    from cloudevents.core.exceptions import BaseCloudEventException
    from cloudevents.core.formats.json import JSONFormat

    json_format = JSONFormat()
    try:
        event = from_http(HTTPMessage(headers, body), json_format)
    except (BaseCloudEventException, ValueError, TypeError, KeyError) as exc:
        raise BadEvent(f"not a CloudEvent: {exc}") from None
    places = []
    for attribute, what in _PLACES:
        value = event.get_attributes().get(attribute)
        if not isinstance(value, str) or not _LABEL.fullmatch(value):
            raise BadEvent(
                f"ce-{attribute} {value!r} is not a {what} name; expected a DNS-1123 label"
            )
        places.append(value)
    return places[0], places[1], json_format.write(event) + b"\n"


class LogSinkService(Service):
    """Files every event it is sent; health answers like every other infergraph server."""

    def __init__(self, settings: ServerSettings, tracing: Tracing | None = None) -> None:
        super().__init__(settings, tracing)
        assert isinstance(settings, LogSinkSettings)
        self.root = Path(settings.directory)
        self.day = ""
        self.files: dict[tuple[str, str], int] = {}  # (graph, node) -> fd of today's file
        timed = Metrics("logsink", enabled=settings.metrics_port != 0).timed
        self.router.post("/", timed("events", self._receive))
        self.router.post("/{path}", timed("events", self._receive))
        for path in ("/health/ping", "/v2/health/live"):
            self.router.get(path, self._live)
        for path in ("/health/status", "/v2/health/ready"):
            self.router.get(path, self._ready)

    async def startup(self) -> None:
        """Make sure the directory exists and takes files before saying ready."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise OSError(f"{self.root}: not writable")

    async def shutdown(self) -> None:
        self._close()

    async def _receive(self, request: Request) -> Response:
        try:
            graph, node, line = event_line(request.headers, request.body)
        except BadEvent as exc:
            return error_response(400, str(exc))
        try:
            os.write(self._file(graph, node), line)
        except OSError as exc:
            return error_response(503, f"cannot write the event: {exc.strerror or exc}")
        os.write(sys.stdout.fileno(), line)
        return Response(b"", 202)

    def _file(self, graph: str, node: str) -> int:
        """The append-only descriptor of today's file of (graph, node)."""
        day = time.strftime("%Y-%m-%d", time.gmtime())
        if day != self.day:
            self._close()
            self.day = day
        fd = self.files.get((graph, node))
        if fd is None:
            folder = self.root / graph / node
            folder.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            fd = os.open(folder / f"{day}.jsonl", flags, 0o640)
            self.files[(graph, node)] = fd
        return fd

    def _close(self) -> None:
        for fd in self.files.values():
            os.close(fd)
        self.files.clear()

    async def _live(self, _: Request) -> Response:
        return json_response({"live": True})

    async def _ready(self, _: Request) -> Response:
        return json_response({"ready": self.ready}, 200 if self.ready else 503)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `logsink --directory DIR` with the shared server flags."""
    parser = subparsers.add_parser(
        "logsink",
        help="receive payload-logging CloudEvents; append them as JSON Lines",
        description="Receive CloudEvents and file them as DIR/<graph>/<node>/<day>.jsonl.",
    )
    parser.add_argument(
        "--directory",
        help="where the files go [INFERGRAPH_LOG_DIRECTORY, /var/lib/infergraph/logs]",
    )
    add_server_flags(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        fields = LogSinkSettings.server_fields(args)
        fields["grpc_port"] = 0  # CloudEvents come over HTTP only
        directory = setting(
            args, "directory", "INFERGRAPH_LOG_DIRECTORY", LogSinkSettings.directory, str
        )
        settings = LogSinkSettings(**fields, directory=directory)
    except SettingsError as exc:
        print(f"infergraph-server logsink: {exc}", file=sys.stderr)
        return 1
    return serve(settings, LogSinkService)
