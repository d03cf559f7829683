"""Payload logging, wire-compatible with Seldon Core v1's executor: one binary-mode CloudEvent
per logged payload, built with the `cloudevents` SDK and POSTed to the node's logger url.

The request path only appends a tuple to a bounded queue (`put`); a few sender tasks drain it,
each event retried with a doubling backoff on a connection error, a timeout or a 5xx. A full
queue or an undeliverable event is dropped and counted (`infergraph_log_events_dropped_total`),
never waited for: a slow or stopped receiver costs the predictions nothing. Graphs without
logging build no `PayloadLog`, and the executor then does a None check and nothing else.

Attributes, as Seldon's: `ce-type` io.seldon.serving.inference.request / .response, a fresh
`ce-id`, `ce-source` (the orchestrator), `ce-time`, `ce-requestid` (the request's puid),
`ce-modelid` (node), `ce-inferenceservicename` (graph), `ce-namespace`, `ce-endpoint`
(predictor), `ce-protocol` (the node call's protocol: seldon or v2); `Content-Type` is JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import ssl
import time
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from infergraph_server.http import HttpClient, HttpClientError

from .graph import LogSettings, RuntimeGraph, RuntimeNode

__all__ = ["REQUEST", "RESPONSE", "Event", "PayloadLog", "log_counters"]

log = logging.getLogger(__name__)

REQUEST = "io.seldon.serving.inference.request"
RESPONSE = "io.seldon.serving.inference.response"
_RETRY_STATUS = 500  # and above, or 429: the receiver may take it later
_MAX_CONNECTIONS = 4  # per receiver and orchestrator process


class Event(NamedTuple):
    """One payload waiting to be sent: all the request path records."""

    url: str
    kind: str  # REQUEST or RESPONSE
    node: str
    protocol: str
    puid: str
    body: bytes
    at: float  # time.time() when it was queued


@functools.cache
def log_counters() -> tuple[Any, Any]:
    """(events sent, events dropped by reason), registered once per process when first used."""
    from prometheus_client import Counter

    sent = Counter(
        "infergraph_log_events_sent",
        "Payload-logging CloudEvents delivered, by predictor",
        ["predictor"],
    )
    dropped = Counter(
        "infergraph_log_events_dropped",
        "Payload-logging CloudEvents dropped: queue_full (the receiver is slow) or "
        "undeliverable (down, or failing after every retry), by predictor",
        ["predictor", "reason"],
    )
    return sent, dropped


class PayloadLog:
    """One orchestrator process's event queue and senders for one predictor's graph."""

    def __init__(self, graph: RuntimeGraph, settings: LogSettings, namespace: str) -> None:
        self.graph = graph
        self.settings = settings
        self.queue: asyncio.Queue[Event] = asyncio.Queue(settings.queue_size)
        self.clients: dict[tuple[str, str, int], HttpClient] = {}
        self.senders: list[asyncio.Task[None]] = []
        self.fixed = {  # the attributes every event of this orchestrator carries
            "source": settings.source,
            "datacontenttype": "application/json",
            "inferenceservicename": graph.graph,
            "namespace": namespace,
            "endpoint": graph.predictor,
        }
        sent, dropped = log_counters()
        self.sent = sent.labels(graph.predictor)
        self.full = dropped.labels(graph.predictor, "queue_full")
        self.failed = dropped.labels(graph.predictor, "undeliverable")

    def sampled(self) -> bool:
        """Whether this request's payloads are logged (all of them, or none)."""
        rate = self.settings.sample_rate
        return rate >= 1.0 or random.random() < rate

    def put(self, node: RuntimeNode, kind: str, puid: str, body: bytes) -> None:
        """Queue one payload; when the queue is full, drop it and count the drop."""
        assert node.logger is not None
        if not self.senders:
            self.start()
        event = Event(node.logger.url, kind, node.name, node.protocol, puid, body, time.time())
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.full.inc()

    def start(self) -> None:
        """Start the senders (on first use, inside the running loop)."""
        self.senders = [asyncio.create_task(self._sender()) for _ in range(self.settings.senders)]

    async def aclose(self) -> None:
        """Stop the senders and close their connections; events still queued are dropped."""
        for task in self.senders:
            task.cancel()
        for task in self.senders:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.senders = []
        for client in self.clients.values():
            await client.close()

    def message(self, event: Event) -> tuple[dict[str, str], bytes]:
        """The HTTP headers and body of `event` in CloudEvents binary content mode."""
        from cloudevents.core.bindings.http import to_binary_event
        from cloudevents.core.v1.event import CloudEvent

        attributes: dict[str, Any] = {
            **self.fixed,
            "type": event.kind,
            "time": datetime.fromtimestamp(event.at, UTC),
            "requestid": event.puid,
            "modelid": event.node,
            "protocol": event.protocol,
        }
        message = to_binary_event(CloudEvent(attributes, event.body))
        return message.headers, message.body

    async def _sender(self) -> None:
        while True:
            event = await self.queue.get()
            try:
                delivered = await self._deliver(event)
            except Exception:  # a bug here must not stop the sender; the event is counted
                log.exception("payload log: cannot send an event of node %s", event.node)
                delivered = False
            (self.sent if delivered else self.failed).inc()

    async def _deliver(self, event: Event) -> bool:
        """POST the event, retrying with a doubling backoff; True once it is accepted."""
        headers, body = self.message(event)
        client, path = self._client(event.url)
        pause = self.settings.backoff_ms / 1000
        for attempt in range(self.settings.retries + 1):
            if attempt:
                await asyncio.sleep(pause)
                pause *= 2
            try:
                answer = await client.request("POST", path, body, headers)
            except HttpClientError as exc:
                why = str(exc)
            else:
                if answer.status < 400:
                    return True
                why = f"answered {answer.status}"
                if answer.status < _RETRY_STATUS and answer.status != 429:
                    break  # the receiver refuses this event: sending it again will not help
            log.debug("payload log: %s: %s (attempt %d)", event.url, why, attempt + 1)
        log.warning("payload log: dropped an event of node %s for %s", event.node, event.url)
        return False

    def _client(self, url: str) -> tuple[HttpClient, str]:
        """The pooled client of the url's receiver, and the path to POST to."""
        parts = urlsplit(url)
        tls = parts.scheme == "https"
        host = parts.hostname or ""
        port = parts.port or (443 if tls else 80)
        key = (parts.scheme, host, port)
        client = self.clients.get(key)
        if client is None:
            client = HttpClient(
                host,
                port,
                max_connections=_MAX_CONNECTIONS,
                timeout=self.settings.timeout_ms / 1000,
                tls=ssl.create_default_context() if tls else None,
            )
            self.clients[key] = client
        path = parts.path or "/"
        return client, f"{path}?{parts.query}" if parts.query else path
