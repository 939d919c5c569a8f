"""The confidence sequence for a full run's pass count, and the layer stopping rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.layering import BenchmarkEvidence, place_category
from benchmarks.sequential import (
    ConfidenceSequence,
    FullRunLayers,
    confidence_sequence,
    count_interval,
    decided_layer,
    log_ppr,
    split_alpha,
)
from benchmarks.stats import Z95, wilson_interval

# --- the prior-posterior ratio, by hand ----------------------------------------------
#
# N = 10 tasks, 5 asked, all 5 passed, uniform prior: pi_0(S) = 1/11 for every S, and the
# 5 unasked tasks hold R ~ BetaBinomial(5, 6, 1) passes, P(R = r) = C(5, r) B(6 + r,
# 6 - r) / B(6, 1). r = 0: 1 * (5! 5! / 11!) * 6 = 86400 / 39916800 = 1/462, so
# M(S = 5) = (1/11) / (1/462) = 42. r = 1: 5 * (6! 4! / 11!) * 6 = 1/77: M(6) = 7.
# r = 2: 10 * (7! 3! / 11!) * 6 = 1/22: M(7) = 2. r = 3: 10 * (8! 2! / 11!) * 6 = 4/33:
# M(8) = 3/4. r = 4: 5 * 9! / 11! * 6 = 3/11: M(9) = 1/3. r = 5: 6/11: M(10) = 1/6.


def test_ratio_by_hand() -> None:
    m = np.exp(log_ppr(10, 5, 5))
    assert np.isinf(m[:5]).all()  # fewer than the 5 passes seen: impossible
    assert m[5:] == pytest.approx([42, 7, 2, 3 / 4, 1 / 3, 1 / 6])


def test_ratio_by_hand_two_of_four() -> None:
    # N = 4, 2 asked, 1 passed: R ~ BetaBinomial(2, 2, 2) = (0.3, 0.4, 0.3); pi_0 = 1/5.
    m = np.exp(log_ppr(4, 2, 1))
    assert np.isinf(m[[0, 4]]).all()
    assert m[1:4] == pytest.approx([0.2 / 0.3, 0.2 / 0.4, 0.2 / 0.3])


def test_the_prior_only_scales_the_ratio() -> None:
    # Beta(2, 3): M scales by [B(7, 3) / B(2, 3)] / [B(6, 1) / B(1, 1)]
    # = [(1/252) / (1/12)] / (1/6) = 2/7, so 42 becomes 12.
    m = np.exp(log_ppr(10, 5, 5, prior=(2.0, 3.0)))
    assert m[5:] == pytest.approx(np.array([42, 7, 2, 3 / 4, 1 / 3, 1 / 6]) * 2 / 7)


def test_interval_ends_follow_one_over_alpha() -> None:
    assert count_interval(10, 5, 5, 0.05) == (6, 10)  # 1/alpha = 20: only 42 is out
    assert count_interval(10, 5, 5, 1 / 7.5) == (6, 10)  # 7 < 7.5: S = 6 stays
    assert count_interval(10, 5, 5, 1 / 6.5) == (7, 10)  # 7 >= 6.5: S = 6 is out
    assert count_interval(10, 5, 5, 0.9) == (8, 10)  # 1/alpha = 1.11: 3/4 in, 2 out


def test_nothing_asked_allows_everything_and_everything_asked_is_exact() -> None:
    assert count_interval(164, 0, 0, 0.05) == (0, 164)
    assert count_interval(164, 164, 101, 0.05) == (101, 101)
    assert count_interval(164, 163, 101, 0.05) == (101, 102)


def test_the_running_intersection_never_widens_and_ends_exact() -> None:
    rng = np.random.default_rng(7)
    outcomes = rng.random(80) < 0.6
    bounds = confidence_sequence(outcomes.tolist(), 80, 0.05)
    assert (np.diff(bounds[:, 0]) >= 0).all() and (np.diff(bounds[:, 1]) <= 0).all()
    assert tuple(bounds[-1]) == (int(outcomes.sum()),) * 2
    # the batch computation is the one-by-one sequence
    cs = ConfidenceSequence(80, 0.05)
    assert [cs.update(x) for x in outcomes.tolist()] == [tuple(b) for b in bounds.tolist()]
    # and it is at least as tight as each step's own set
    k = np.cumsum(outcomes)
    for t in (10, 40, 79):
        low, high = count_interval(80, t, int(k[t - 1]), 0.05)
        assert low <= bounds[t - 1, 0] and bounds[t - 1, 1] <= high


def test_bad_input_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="passed"):
        log_ppr(10, 3, 4)
    with pytest.raises(ValueError, match="asked"):
        log_ppr(10, 11, 4)
    with pytest.raises(ValueError, match="alpha"):
        count_interval(10, 3, 1, 1.5)
    with pytest.raises(ValueError, match="prior"):
        log_ppr(10, 3, 1, prior=(0.0, 1.0))
    cs = ConfidenceSequence(2, 0.05)
    cs.extend([True, False])
    with pytest.raises(ValueError, match="already asked"):
        cs.update(True)
    with pytest.raises(ValueError, match="3 outcomes for a suite of 2"):
        confidence_sequence([True, True, False], 2, 0.05)
    with pytest.raises(ValueError, match="confidence"):
        split_alpha(95, 1)


# --- coverage under continuous monitoring --------------------------------------------


def _misses(n_total: int, passes: int, orders: int, alpha: float, seed: int
            ) -> tuple[float, float]:
    """Share of random task orders in which the true count leaves the set at *some* t:
    (confidence sequence, a fixed-n Wilson interval looked at after every task)."""
    rng = np.random.default_rng(seed)
    population = np.zeros(n_total, dtype=bool)
    population[:passes] = True
    z = math.sqrt(2) * _erfinv(1 - alpha)
    cs_miss = wilson_miss = 0
    for _ in range(orders):
        outcomes = rng.permutation(population)
        bounds = confidence_sequence(outcomes.tolist(), n_total, alpha)
        cs_miss += bool(((bounds[:, 0] > passes) | (bounds[:, 1] < passes)).any())
        k = np.cumsum(outcomes)
        t = np.arange(1, n_total + 1)
        wil = wilson_interval(k, t, z) * n_total
        wilson_miss += bool(((wil[:, 0] > passes) | (wil[:, 1] < passes))[:-1].any())
    return cs_miss / orders, wilson_miss / orders


def _erfinv(y: float) -> float:
    """Inverse error function by bisection (for the normal quantile of any alpha)."""
    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erf(mid) < y else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize("passes", [12, 30, 55])
def test_coverage_holds_when_looked_at_after_every_task(passes: int) -> None:
    """Seeded simulation: 600 random orders of a 60-task suite, the set checked after
    every task. The sequence's error rate stays within alpha (plus three standard errors
    of the simulation); the fixed-n Wilson interval checked the same way does not, so the
    check can tell a valid rule from an invalid one."""
    alpha, orders = 0.05, 600
    assert math.sqrt(2) * _erfinv(0.95) == pytest.approx(Z95, abs=1e-9)
    cs_rate, wilson_rate = _misses(60, passes, orders, alpha, seed=passes)
    slack = 3 * math.sqrt(alpha * (1 - alpha) / orders)
    assert cs_rate <= alpha + slack
    assert wilson_rate > alpha + slack


# --- the stopping rule ----------------------------------------------------------------


def test_decided_when_every_allowed_count_gives_one_layer() -> None:
    def step(counts: dict[str, int]) -> int:
        return 1 if counts["b"] >= 8 else 2

    assert decided_layer({"b": (8, 10)}, step) == 1
    assert decided_layer({"b": (6, 10)}, step) is None
    assert decided_layer({"b": (3, 7)}, step) == 2


def test_a_dip_between_agreeing_corners_is_not_decided() -> None:
    def dip(counts: dict[str, int]) -> int:
        return 4 if counts["b"] == 5 else 3

    assert decided_layer({"b": (2, 9)}, dip) is None


def test_two_benchmarks_decide_over_the_whole_box() -> None:
    seen: list[tuple[int, int]] = []

    def mean(counts: dict[str, int]) -> int:
        seen.append((counts["he"], counts["mb"]))
        return 1 if counts["he"] + counts["mb"] >= 10 else 2

    assert decided_layer({"he": (5, 7), "mb": (5, 6)}, mean) == 1
    assert set(seen) == {(h, m) for h in (5, 6, 7) for m in (5, 6)}
    assert decided_layer({"he": (4, 7), "mb": (5, 6)}, mean) is None
    assert split_alpha(0.95, 2) == pytest.approx(0.025)


def _ev(p: float, n: int = 100) -> BenchmarkEvidence:
    low, high = wilson_interval(round(p * n), n)
    return BenchmarkEvidence(p, float(low), float(high), 1000.0, 0.01)


def test_full_run_layers_are_placements_own_layers() -> None:
    others = {f"p/m{i}": {"humaneval": _ev(p)} for i, p in enumerate((0.3, 0.45, 0.6, 0.8))}
    rule = FullRunLayers("p/new", "code-generation", {"humaneval": 1.0}, others,
                         {"humaneval": 100}, latency_ms={"humaneval": 1000.0},
                         cost_per_task_usd={"humaneval": 0.009})
    for count in (0, 20, 50, 70, 95, 100):
        mine = rule.evidence("humaneval", count)
        direct = place_category("code-generation", {**others, "p/new": {"humaneval": mine}},
                                {"humaneval": 1.0})
        assert rule.layer({"humaneval": count}) == next(
            d.layer for d in direct if d.model_id == "p/new")
    # the full run's cost spread over what it solves; nothing solved: unknown
    assert rule.evidence("humaneval", 90).cost_per_solved_usd == pytest.approx(0.01)
    assert rule.evidence("humaneval", 0).cost_per_solved_usd is None
    low, high = wilson_interval(70, 100)
    assert (rule.evidence("humaneval", 70).ci_low, rule.evidence("humaneval", 70).ci_high) \
        == (pytest.approx(low), pytest.approx(high))
    # the extremes of this population are different layers, so the rule has work to do
    assert rule.layer({"humaneval": 100}) < rule.layer({"humaneval": 0})


def test_full_run_layers_keep_a_previous_layer_like_placement() -> None:
    others = {f"p/m{i}": {"humaneval": _ev(p)} for i, p in enumerate((0.3, 0.45, 0.6, 0.8))}
    fresh = FullRunLayers("p/new", "code-generation", {"humaneval": 1.0}, others,
                          {"humaneval": 100})
    placed = FullRunLayers("p/new", "code-generation", {"humaneval": 1.0}, others,
                           {"humaneval": 100}, previous={"p/new": (2, False)})
    # 0.7 on 100 tasks allows layers 2-3: a newcomer starts from the middle, a model
    # placed in 2 before stays there
    assert fresh.layer({"humaneval": 70}) == 3
    assert placed.layer({"humaneval": 70}) == 2


def test_a_benchmark_the_category_does_not_compare_is_refused() -> None:
    others = {f"p/m{i}": {"mbpp": _ev(p)} for i, p in enumerate((0.3, 0.5, 0.7))}
    rule = FullRunLayers("p/new", "code-generation", {"humaneval": 1.0}, others,
                         {"humaneval": 100})
    assert rule.layer({"humaneval": 50}) in range(1, 7)  # alone: it is the population
    other = FullRunLayers("p/new", "code-generation", {"mbpp": 1.0}, others,
                          {"humaneval": 100})
    with pytest.raises(ValueError, match="not placed"):
        other.layer({"humaneval": 50})
