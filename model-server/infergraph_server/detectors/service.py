"""`infergraph-server detector`: one detector behind HTTP, fed the payload-log CloudEvents.

POST / takes one CloudEvent in binary or structured mode (events.py): a request payload is
scored (outlier) or added to the window (drift) and answered with the result as JSON; a
response payload is acknowledged and not read (detectors watch what the models are asked).
Health answers on the V2 and Seldon paths; /metrics is on the metrics port. Findings go as
CloudEvents to the optional `events_url` (http or https), fire and forget with a bound on
those in flight, so a slow receiver costs events (counted), never answers.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from infergraph_server.detectors import detector_class
from infergraph_server.detectors.base import Detector, Outcome
from infergraph_server.detectors.events import (
    RESPONSE,
    InboundEvent,
    event_headers,
    parse_event,
    payload_rows,
)
from infergraph_server.errors import InferenceError
from infergraph_server.http import HttpClient, HttpClientError, Request, Response
from infergraph_server.http.messages import error_response, json_response
from infergraph_server.runner import Service, serve
from infergraph_server.settings import (
    ServerSettings,
    SettingsError,
    add_server_flags,
    parse_parameters,
    setting,
)
from infergraph_server.urls import http_url_problem
from infergraph_server.vocabulary import DETECTORS

if TYPE_CHECKING:
    from infergraph_server.tracing.otel import Tracing

__all__ = ["DetectorService", "DetectorSettings", "register"]

log = logging.getLogger(__name__)
_MAX_EVENTS_IN_FLIGHT = 256  # beyond this findings are dropped (and counted), not queued


@dataclasses.dataclass(frozen=True)
class DetectorSettings(ServerSettings):
    """Settings of `infergraph-server detector`."""

    name: str = "detector"
    """The detector's name, its metrics label and its events' source (INFERGRAPH_NAME)."""
    detector: str = ""
    """A detector of the vocabulary (implementations.json `detectors`) (INFERGRAPH_DETECTOR)."""
    model_uri: str = "/mnt/models"
    """The reference data: a path or file:// URI (INFERGRAPH_MODEL_URI)."""
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Its declared parameters, a JSON list of {name, type, value} (INFERGRAPH_PARAMETERS)."""
    events_url: str | None = None
    """An http:// or https:// URL that receives a CloudEvent per finding (INFERGRAPH_EVENTS_URL)."""

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DetectorSettings:
        """Build from parsed flags and the environment; SettingsError names a bad one."""
        fields = cls.server_fields(args)
        detector = setting(args, "detector", "INFERGRAPH_DETECTOR", "", str).upper()
        if detector not in DETECTORS:
            raise SettingsError(
                f'--detector: "{detector}" is unknown; use one of {", ".join(DETECTORS)}'
            )
        parameters = parse_parameters(
            setting(args, "parameters", "INFERGRAPH_PARAMETERS", "[]", str)
        )
        unknown = [p for p in parameters if p not in DETECTORS[detector].parameters]
        if unknown:
            raise SettingsError(
                f'--parameters: "{unknown[0]}" is not a parameter of {detector};'
                f" use one of: {', '.join(DETECTORS[detector].parameters)}"
            )
        events_url = setting(args, "events_url", "INFERGRAPH_EVENTS_URL", "", str) or None
        if events_url is not None and http_url_problem(events_url):
            raise SettingsError(
                f'--events-url: "{events_url}" is not an http(s)://HOST[:PORT][/PATH] URL'
            )
        return cls(
            **fields,
            name=setting(args, "name", "INFERGRAPH_NAME", cls.name, str),
            detector=detector,
            model_uri=setting(args, "model_uri", "INFERGRAPH_MODEL_URI", cls.model_uri, str),
            parameters=parameters,
            events_url=events_url,
        )


class _EventSender:
    """Posts findings to one URL without making anyone wait for them."""

    def __init__(self, url: str, source: str, metrics: bool) -> None:
        parts = urlsplit(url)
        tls = ssl.create_default_context() if parts.scheme == "https" else None
        port = parts.port or (443 if tls else 80)
        self.client = HttpClient(parts.hostname or "", port, 16, 10.0, tls=tls)
        path = parts.path or "/"
        self.path = f"{path}?{parts.query}" if parts.query else path
        self.source = source
        self.tasks: set[asyncio.Task[None]] = set()
        self.failed: Any = None
        if metrics:
            from prometheus_client import Counter

            self.failed = Counter(
                "infergraph_detector_events_failed", "Findings not delivered", ["detector"]
            ).labels(source)

    def send(self, findings: list[tuple[str, dict[str, Any]]], cause: InboundEvent) -> None:
        for kind, data in findings:
            if len(self.tasks) >= _MAX_EVENTS_IN_FLIGHT:
                self._count_failure()
                continue
            task = asyncio.create_task(self._post(event_headers(kind, self.source, cause), data))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _count_failure(self) -> None:
        if self.failed is not None:
            self.failed.inc()

    async def _post(self, headers: dict[str, str], data: dict[str, Any]) -> None:
        try:
            answer = await self.client.request("POST", self.path, orjson.dumps(data), headers)
            if answer.status >= 300:
                raise HttpClientError(f"answered {answer.status}")
        except HttpClientError as exc:
            log.warning("event %s not delivered: %s", headers["ce-id"], exc)
            self._count_failure()

    async def close(self) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2.0)
        await self.client.close()


class DetectorService(Service):
    """One detector: POST / for events, health, and events out."""

    def __init__(self, settings: ServerSettings, tracing: Tracing | None = None) -> None:
        super().__init__(settings, tracing)
        assert isinstance(settings, DetectorSettings)
        self.name = settings.name
        try:
            self.detector: Detector = detector_class(settings.detector)(
                settings.model_uri, **settings.parameters
            )
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"--parameters: {exc}") from None
        self.metrics = bool(settings.metrics_port)
        self.sender: _EventSender | None = None
        if settings.events_url is not None:
            self.sender = _EventSender(settings.events_url, settings.name, self.metrics)
        self.router.post("/", self.receive)
        for path in ("/v2/health/live", "/health/ping"):
            self.router.get(path, self.live)
        for path in ("/v2/health/ready", "/health/status"):
            self.router.get(path, self.readiness)

    async def startup(self) -> None:
        """Read the reference data and fit the detector (in a thread: fitting takes a while)."""
        await asyncio.to_thread(self.detector.load, self.name, self.metrics)

    async def shutdown(self) -> None:
        if self.sender is not None:
            await self.sender.close()

    async def live(self, _: Request) -> Response:
        return json_response({"status": "alive"})

    async def readiness(self, _: Request) -> Response:
        if not self.ready:
            return error_response(503, f"detector {self.name} is loading its reference data")
        return json_response({"status": "ready"})

    async def receive(self, request: Request) -> Response:
        if not self.ready:
            return error_response(503, f"detector {self.name} is loading its reference data")
        try:
            event = parse_event(request.headers, request.body)
            if event.type == RESPONSE:
                return json_response({"ignored": RESPONSE})
            outcome: Outcome = self.detector.process(payload_rows(event))
        except InferenceError as exc:
            return error_response(exc.status, exc.message)
        if self.sender is not None and outcome.findings:
            self.sender.send(outcome.findings, event)
        return json_response(outcome.answer)


def _run(args: argparse.Namespace) -> int:
    return serve(DetectorSettings.from_args(args), DetectorService)


def register(subparsers: Any) -> None:
    """Add the `detector` subcommand."""
    parser = subparsers.add_parser(
        "detector", help="serve one outlier or drift detector fed by payload-log CloudEvents"
    )
    parser.add_argument("--name", help="detector name, its metrics label [INFERGRAPH_NAME]")
    parser.add_argument("--detector", help=f"{' | '.join(DETECTORS)} [INFERGRAPH_DETECTOR]")
    parser.add_argument("--model-uri", help="reference data path [INFERGRAPH_MODEL_URI]")
    parser.add_argument(
        "--parameters", help="JSON list of {name,type,value} [INFERGRAPH_PARAMETERS]"
    )
    parser.add_argument(
        "--events-url",
        help="http(s):// URL receiving a CloudEvent per finding [INFERGRAPH_EVENTS_URL]",
    )
    add_server_flags(parser)
    parser.set_defaults(func=_run)
