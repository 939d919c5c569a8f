"""router.tracker: hand-computed statistics and the sliding window."""

from __future__ import annotations

import pytest

from router.tracker import (
    PerformanceTracker,
    cost_per_success,
    observed_range,
    percentiles,
    ratio,
)


def test_percentiles_by_hand() -> None:
    # [10, 20, 30, 40]: p50 halfway between 20 and 30; p95 at rank 0.95*3 = 2.85 -> 38.5;
    # p99 at rank 2.97 -> 39.7
    assert percentiles([10, 20, 30, 40]) == pytest.approx((25.0, 38.5, 39.7))
    assert percentiles([]) is None


def test_cost_per_success_is_null_without_a_success() -> None:
    assert cost_per_success(0.3, cost_reports=3, successes=0) is None
    assert cost_per_success(0.0, cost_reports=0, successes=2) is None
    assert cost_per_success(0.3, cost_reports=3, successes=2) == pytest.approx(0.15)


def test_ratio_and_range() -> None:
    assert ratio(1, 0) is None and ratio(3, 4) == 0.75
    assert observed_range([5.0]) is None
    # 1..100: p5 at rank 4.95 -> 5.95, p95 at rank 94.05 -> 95.05
    assert observed_range(list(range(1, 101))) == pytest.approx((5.95, 95.05))


def test_the_oldest_latency_leaves_the_window_not_the_smallest() -> None:
    t = PerformanceTracker(window=3)
    for latency in (100.0, 5.0, 7.0, 9.0):
        t.add("c", "a/m", True, latency_ms=latency)
    assert t.latency_window("c", "a/m") == [5.0, 7.0, 9.0]
    perf = t.snapshot()[0]
    assert perf.latency_p50_ms == 7.0 and perf.latency_window == 3
    assert perf.attempts == 4  # counts cover every outcome, the window only latencies


def test_snapshot_aggregates() -> None:
    t = PerformanceTracker(window=10)
    t.add("c", "a/m", True, accuracy=1.0, latency_ms=10, cost_usd=0.2, tokens_in=100,
          tokens_out=50)
    t.add("c", "a/m", False, accuracy=0.5, latency_ms=30, cost_usd=0.1, tokens_in=10)
    t.add("c", "b/m", False, cost_usd=0.4)
    t.add("other", "a/m", True)
    by_model = {p.model: p for p in t.snapshot("c")}
    a, b = by_model["a/m"], by_model["b/m"]
    assert (a.attempts, a.successes, a.success_rate) == (2, 1, 0.5)
    assert a.mean_accuracy == 0.75
    assert a.mean_cost_usd == pytest.approx(0.15)
    assert a.cost_per_success_usd == pytest.approx(0.3)
    assert (a.tokens_in, a.tokens_out) == (110, 50)
    assert a.latency_p50_ms == 20.0
    assert b.cost_per_success_usd is None and b.latency_p99_ms is None
    assert [p.category for p in t.snapshot()] == ["c", "c", "other"]


def test_category_range_spans_models() -> None:
    t = PerformanceTracker(window=100)
    for i in range(1, 101):
        t.add("c", f"m/{i % 3}", True, latency_ms=float(i))
    assert t.latency_range("c") == pytest.approx((5.95, 95.05))
    assert t.cost_range("c") is None and t.latency_range("none") is None
