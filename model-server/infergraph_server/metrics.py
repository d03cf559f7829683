"""Prometheus metrics: request count and latency per endpoint, plus user metrics.

prometheus_client is imported inside functions on purpose: with several workers the runner
sets PROMETHEUS_MULTIPROC_DIR before the workers first import it, which is when
prometheus_client decides between in-process and multiprocess value storage.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import os
import time
from collections.abc import Callable
from typing import Any

from infergraph_server.http import Handler, Request, Response, Router

__all__ = [
    "BATCH_SIZE_BUCKETS",
    "LATENCY_BUCKETS",
    "Metrics",
    "counter_incrementer",
    "histogram_observer",
    "metrics_router",
    "render_metrics",
    "validate_user_metrics",
]

log = logging.getLogger(__name__)

# seconds; fine below 10 ms where a fast node server spends its time
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
# rows per batched model call
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_USER_KINDS = ("COUNTER", "GAUGE", "TIMER")


@functools.cache
def _families() -> tuple[Any, Any]:
    """The request counter and latency histogram, registered once per process."""
    from prometheus_client import Counter, Histogram

    requests = Counter(
        "infergraph_requests",
        "Requests served, by endpoint and status code",
        ["node", "endpoint", "code"],
    )
    latency = Histogram(
        "infergraph_request_duration_seconds",
        "Request latency, by endpoint",
        ["node", "endpoint"],
        buckets=LATENCY_BUCKETS,
    )
    return requests, latency


@functools.cache
def _batch_families() -> tuple[Any, Any]:
    """The batch-size and queue-wait histograms, registered once per process when used."""
    from prometheus_client import Histogram

    size = Histogram(
        "infergraph_batch_size",
        "Rows per model call of a batching node",
        ["node"],
        buckets=BATCH_SIZE_BUCKETS,
    )
    wait = Histogram(
        "infergraph_batch_queue_seconds",
        "Time a request waited in a batching node's queue before its model call",
        ["node"],
        buckets=LATENCY_BUCKETS,
    )
    return size, wait


def histogram_observer(child: Any) -> Callable[[float], None]:
    """`child.observe` (a prometheus_client Histogram child) for the hot path: the bucket found
    by bisection and, for 0, no add to the sum, instead of the locked scan `observe` makes of
    every bound. The same values in the same places (a test compares the expositions); falls
    back to `child.observe` if prometheus_client's layout is not the one known here."""
    bounds = getattr(child, "_upper_bounds", None)
    buckets = getattr(child, "_buckets", None)
    total = getattr(child, "_sum", None)
    if not (
        isinstance(bounds, list)
        and bounds
        and bounds[-1] == math.inf
        and isinstance(buckets, list)
        and len(buckets) == len(bounds)
        and hasattr(total, "inc")
    ):
        return child.observe  # type: ignore[no-any-return]
    finite = tuple(bounds[:-1])
    find, add = bisect.bisect_left, total.inc  # type: ignore[union-attr]

    def observe(amount: float) -> None:
        if amount:
            add(amount)
        buckets[find(finite, amount)].inc(1)

    return observe


def counter_incrementer(child: Any) -> Callable[[], None]:
    """`child.inc` (a prometheus_client Counter child) for the hot path: its value's own `inc`,
    without the checks `inc` makes of an amount that is always 1 here; `child.inc` if
    prometheus_client's layout is not the one known here."""
    value = getattr(child, "_value", None)
    if not hasattr(value, "inc") or not hasattr(value, "get"):
        return child.inc  # type: ignore[no-any-return]
    return functools.partial(value.inc, 1)  # type: ignore[union-attr]


# user metric families by (kind, key, label names); prometheus allows one per name per process
_USER: dict[tuple[str, str, tuple[str, ...]], Any] = {}


class Metrics:
    """One node's metrics, with label children cached so the hot path is two calls.

    `enabled` is false when nothing serves /metrics (metrics port 0); then nothing is counted
    or timed, so requests pay nothing for the disabled feature.
    """

    def __init__(self, node: str, enabled: bool = True) -> None:
        self.node = node
        self.enabled = enabled
        self._requests, self._latency = _families()
        self._children: dict[tuple[str, int], tuple[Callable[[], None], Callable[[float], None]]]
        self._children = {}
        self._user = _USER

    def timed(
        self,
        endpoint: str,
        handler: Handler,
        also: Callable[[int, float], None] | None = None,
    ) -> Handler:
        """`handler`, counted and timed under `endpoint` (and the same status and time given to
        `also`, one more family fed by the one clock reading); `handler` itself when disabled."""
        if not self.enabled:
            return handler
        observe, perf = self.observe, time.perf_counter

        if also is None:

            async def handle(request: Request) -> Response:
                start = perf()
                response = await handler(request)
                observe(endpoint, response.status, perf() - start)
                return response

            return handle

        async def handle_both(request: Request) -> Response:
            start = perf()
            response = await handler(request)
            seconds = perf() - start
            observe(endpoint, response.status, seconds)
            also(response.status, seconds)
            return response

        return handle_both

    def observe(self, endpoint: str, code: int, seconds: float) -> None:
        """Count one request and record its latency."""
        pair = self._children.get((endpoint, code))
        if pair is None:
            pair = (
                counter_incrementer(self._requests.labels(self.node, endpoint, str(code))),
                histogram_observer(self._latency.labels(self.node, endpoint)),
            )
            self._children[(endpoint, code)] = pair
        pair[0]()
        pair[1](seconds)

    def batch_observer(self) -> Callable[[int, list[float]], None] | None:
        """What a batching node calls per model call (rows, queue waits); None when disabled."""
        if not self.enabled:
            return None
        size_family, wait_family = _batch_families()
        size = histogram_observer(size_family.labels(self.node))
        wait = histogram_observer(wait_family.labels(self.node))

        def observe(rows: int, waits: list[float]) -> None:
            size(rows)
            for seconds in waits:
                wait(seconds)

        return observe

    def record_user(self, metrics: list[dict[str, Any]]) -> None:
        """Export user metrics ({key, type, value, tags}); TIMER values are milliseconds."""
        if not self.enabled:
            return
        from prometheus_client import Counter, Gauge, Histogram

        for metric in metrics:
            kind, key = metric["type"], metric["key"]
            tags: dict[str, str] = metric.get("tags") or {}
            names = tuple(sorted(tags))
            cache_key = (kind, key, names)
            obj: Any = self._user.get(cache_key)
            if obj is None:
                labels = ["node", *names]
                try:
                    if kind == "COUNTER":
                        obj = Counter(key, "user counter", labels)
                    elif kind == "GAUGE":
                        obj = Gauge(key, "user gauge", labels, multiprocess_mode="mostrecent")
                    else:
                        obj = Histogram(
                            key, "user timer (seconds)", labels, buckets=LATENCY_BUCKETS
                        )
                except ValueError as exc:  # same name registered with other labels or kind
                    log.warning("user metric %s not exported: %s", key, exc)
                    continue
                self._user[cache_key] = obj
            child = obj.labels(self.node, *(str(tags[n]) for n in names))
            value = float(metric["value"])
            if kind == "COUNTER":
                child.inc(value)
            elif kind == "GAUGE":
                child.set(value)
            else:
                child.observe(value / 1000.0)


def validate_user_metrics(metrics: Any) -> list[dict[str, Any]]:
    """Check what a user's `metrics()` returned; raise ValueError naming the bad item."""
    if not isinstance(metrics, list):
        raise ValueError(f"metrics() must return a list, got {type(metrics).__name__}")
    for m in metrics:
        if not isinstance(m, dict) or "key" not in m or "value" not in m:
            raise ValueError(f"metric {m!r}: needs key, type and value")
        if m.get("type", "COUNTER") not in _USER_KINDS:
            raise ValueError(
                f'metric {m["key"]}: type "{m.get("type")}" is not one of {_USER_KINDS}'
            )
        m.setdefault("type", "COUNTER")
    return metrics


def render_metrics() -> bytes:
    """The Prometheus text exposition of this process, or of all workers in multiprocess mode."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics_router() -> Router:
    """A router with only `GET /metrics`, for the metrics port."""

    async def handle(_: Request) -> Response:
        return Response(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")

    router = Router()
    router.get("/metrics", handle)
    return router
