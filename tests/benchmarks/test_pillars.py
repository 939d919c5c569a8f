"""The four pillars against values computed by hand."""

from __future__ import annotations

import pytest

from benchmarks.pillars import Sample, agreement, compute_pillars


def s(task: str, passed: bool, verdict: str | None = None, lat: float | None = 100.0,
      cost: float | None = 0.01) -> Sample:
    return Sample(task, passed, verdict or ("passed" if passed else "failed"), lat, cost)


def test_two_tasks_three_samples_by_hand() -> None:
    # Task a: 2 of 3 pass; task b: 0 of 3 pass (one timed out).
    samples = [s("a", True, lat=100), s("a", True, lat=200), s("a", False, lat=300),
               s("b", False, lat=400), s("b", False, "timeout", lat=500), s("b", False, lat=600)]
    p = compute_pillars(samples)
    assert p.n_tasks == 2 and p.n_samples == 6
    assert p.pass_at_1 == pytest.approx((2 / 3 + 0) / 2)  # 1/3
    assert set(p.pass_at_k) == {"1"}  # k=5 needs 5 samples per task
    # Wilson over tasks: n=2, p=1/3, z=1.96:
    # centre = (1/3 + 3.8415/4) / (1 + 3.8415/2) = 1.29371/2.92073 = 0.44294
    # half = 1.95996*sqrt(0.11111 + 3.8415/16)/2.92073 = 1.95996*0.59262/2.92073 = 0.39768
    assert p.ci_low == pytest.approx(0.04526, abs=1e-4)
    assert p.ci_high == pytest.approx(0.84062, abs=1e-4)
    assert p.latency_p50_ms == pytest.approx(350.0)  # median of 100..600
    assert p.latency_p95_ms == pytest.approx(575.0)  # numpy linear: 100 + 0.95*5*100
    assert p.cost_per_solved_usd == pytest.approx(0.06 / 2)
    # failure share 1/6; agreement: a -> (C(2,2)+C(1,2))/C(3,2) = 1/3, b -> 3/3 = 1
    assert p.failure_share == pytest.approx(1 / 6)
    assert p.agreement == pytest.approx((1 / 3 + 1) / 2)
    assert p.robustness == pytest.approx((5 / 6) * (2 / 3))
    assert p.verdicts == {"passed": 2, "failed": 3, "timeout": 1}


def test_unknown_price_makes_cost_unknown_not_zero() -> None:
    p = compute_pillars([s("a", True, cost=None), s("a", True, cost=0.02)])
    assert p.cost_per_solved_usd is None and p.cost_known is False


def test_no_success_means_no_cost_per_success() -> None:
    p = compute_pillars([s("a", False), s("b", False)])
    assert p.pass_at_1 == 0.0 and p.cost_per_solved_usd is None


def test_single_samples_leave_agreement_out() -> None:
    p = compute_pillars([s("a", True), s("b", False, "unparseable", lat=None)])
    assert p.agreement is None
    assert p.robustness == pytest.approx(0.5)
    assert p.latency_p50_ms == pytest.approx(100.0)


def test_pass_at_5_with_five_samples() -> None:
    # one task, 5 samples, 1 pass: pass@1 = 0.2, pass@5 = 1 - C(4,5)/C(5,5) = 1
    p = compute_pillars([s("a", i == 0) for i in range(5)])
    assert p.pass_at_k == {"1": pytest.approx(0.2), "5": pytest.approx(1.0)}


def test_agreement_function() -> None:
    import numpy as np

    assert agreement(np.array([0, 4]), np.array([4, 4])) == 1.0
    # c=2 of n=4: (1 + 1) / 6
    assert agreement(np.array([2]), np.array([4])) == pytest.approx(2 / 6)
    assert agreement(np.array([1]), np.array([1])) is None


def test_nothing_measured_is_an_error() -> None:
    with pytest.raises(ValueError, match="no samples"):
        compute_pillars([])
