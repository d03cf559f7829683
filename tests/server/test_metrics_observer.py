"""The hot-path histogram observer and counter increment record exactly what
prometheus_client's `observe` and `inc` do."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from infergraph_server.metrics import (
    BATCH_SIZE_BUCKETS,
    LATENCY_BUCKETS,
    counter_incrementer,
    histogram_observer,
)

# zero, every bound itself, between bounds, past the last, and a negative value
AMOUNTS = [0.0, 0, 1, 3, 0.0004, 0.0005, 0.00051, 0.7, 10.0, 11.5, 2000, -1.0, 1e-9]


def samples(buckets: tuple[float, ...], observe: str) -> list[Any]:
    registry = CollectorRegistry()
    child = Histogram("h", "h", ["node"], buckets=buckets, registry=registry).labels("n")
    record = histogram_observer(child) if observe == "fast" else child.observe
    for amount in AMOUNTS:
        record(amount)
    return [(s.name, s.labels, s.value) for m in registry.collect() for s in m.samples
            if not s.name.endswith("_created")]  # fmt: skip


def test_the_fast_observer_records_what_observe_records() -> None:
    for buckets in (LATENCY_BUCKETS, BATCH_SIZE_BUCKETS):
        assert samples(buckets, "fast") == samples(buckets, "observe")


def test_the_fast_observer_is_observe_when_the_layout_is_unknown() -> None:
    class Other:
        def observe(self, amount: float) -> None:
            self.seen = amount

    other = Other()
    histogram_observer(other)(2.5)
    assert other.seen == 2.5


def test_the_fast_increment_counts_what_inc_counts() -> None:
    registry = CollectorRegistry()
    family = Counter("c", "c", ["node"], registry=registry)
    fast, plain = counter_incrementer(family.labels("fast")), family.labels("plain")
    for _ in range(3):
        fast()
        plain.inc()
    totals = {s.labels["node"]: s.value for m in registry.collect() for s in m.samples
              if s.name == "c_total"}  # fmt: skip
    assert totals == {"fast": 3.0, "plain": 3.0}
