"""The PromQL evaluator the KEDA metrics test uses (tests/promql.py), on hand-made scrapes."""

from __future__ import annotations

import pytest

from tests.promql import Scrape, Unsupported, evaluate, scrape_text

PAGE = """# TYPE calls_seconds histogram
calls_seconds_bucket{model_name="a",le="+Inf"} {a}
calls_seconds_count{model_name="a"} {a}
calls_seconds_sum{model_name="a"} 0.5
calls_seconds_bucket{model_name="b",le="+Inf"} {b}
calls_seconds_count{model_name="b"} {b}
calls_seconds_sum{model_name="b"} 0.5
"""


def _scrapes(*points: tuple[float, int, int]) -> list[Scrape]:
    return [
        scrape_text(PAGE.replace("{a}", str(a)).replace("{b}", str(b)), t) for t, a, b in points
    ]


def test_rate_extrapolates_to_the_window_as_prometheus_does() -> None:
    # samples every 10 s for 60 s, +10 per scrape: 1/s, and the window is fully covered
    scrapes = _scrapes(*((100 + 10 * i, 100 + 10 * i, 5) for i in range(7)))
    [(labels, value)] = evaluate('rate(calls_seconds_count{model_name="a"}[1m])', scrapes).items()
    assert dict(labels) == {"model_name": "a"}
    # 6 intervals sampled (60 s) inside (100, 160]: first sample 110 → 6 points, 50 s sampled,
    # extrapolated by 10 s at the start (below 1.1 × the 10 s interval): 50 * 60/50 / 60 = 1
    assert value == pytest.approx(1.0)


def test_a_counter_reset_counts_from_zero() -> None:
    scrapes = _scrapes((10, 50, 0), (20, 60, 0), (30, 5, 0), (40, 15, 0))
    value = evaluate('increase(calls_seconds_count{model_name="a"}[30s])', scrapes, at=40)
    # in (10, 40]: 60, 5, 15: increase 15 - 60 + 60 = 15 over 20 s, extrapolated to 30 s
    assert isinstance(value, dict) and list(value.values()) == [pytest.approx(22.5)]


def test_sum_by_and_arithmetic_and_matchers() -> None:
    scrapes = _scrapes((0, 0, 0), (10, 10, 30), (20, 20, 60))
    total = evaluate("sum(rate(calls_seconds_count[20s])) * 60", scrapes)
    assert total == {(): pytest.approx(4.0 * 60)}
    assert evaluate('calls_seconds_count{model_name=~"b|c"}', scrapes) == {
        (("__name__", "calls_seconds_count"), ("model_name", "b")): 60.0
    }
    assert evaluate('count(calls_seconds_sum{model_name!="a"})', scrapes) == {(): 1.0}
    assert set(evaluate("max by (model_name) (calls_seconds_count)", scrapes)) == {
        (("model_name", "a"),),
        (("model_name", "b"),),
    }


def test_one_sample_gives_no_rate() -> None:
    assert evaluate("rate(calls_seconds_count[1m])", _scrapes((10, 5, 5))) == {}


@pytest.mark.parametrize(
    "query",
    ["calls_seconds_count offset 1m", "histogram_quantile(0.9, calls_seconds_bucket)", "a / b"],
)
def test_outside_the_subset_is_refused(query: str) -> None:
    with pytest.raises(Unsupported):
        evaluate(query, _scrapes((10, 5, 5)))
