"""router.reward against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from router.reward import (
    RewardWeights,
    quality,
    rewards,
    score_against_range,
    score_against_target,
    utility,
)

NAN = np.nan


def test_quality_is_accuracy_when_given_else_success() -> None:
    assert quality([1, 0, 1, 0], [NAN, NAN, 0.4, 0.7]).tolist() == [1.0, 0.0, 0.4, 0.7]


def test_range_score_lower_is_better() -> None:
    got = score_against_range(np.array([100, 200, 300, 50, 400, NAN]), 100, 300)
    assert got.tolist() == [1.0, 0.5, 0.0, 1.0, 0.0, 1.0]


def test_degenerate_range_penalises_nothing() -> None:
    assert score_against_range(np.array([5.0, 500.0]), 7.0, 7.0).tolist() == [1.0, 1.0]


def test_target_score() -> None:
    got = score_against_target(np.array([500.0, 1000.0, 2000.0, 4000.0, NAN]), 1000.0)
    assert got.tolist() == [1.0, 1.0, 0.5, 0.25, 1.0]


def test_utility_by_hand() -> None:
    w = RewardWeights(latency=0.1, cost=0.1)
    # success, latency half way, cost at the worst: 1 * (1 - 0.1*0.5 - 0.1*1) = 0.85
    assert utility(1.0, 0.5, 0.0, w) == pytest.approx(0.85)
    # a failure earns nothing however fast and cheap it was
    assert utility(0.0, 1.0, 1.0, w) == 0.0
    # partial credit, fast and cheap
    assert utility(0.4, 1.0, 1.0, w) == pytest.approx(0.4)
    # worst case success keeps 1 - w_latency - w_cost
    assert utility(1.0, 0.0, 0.0, w) == pytest.approx(0.8)


def test_milliseconds_cannot_swamp_accuracy() -> None:
    """The original sketch added raw milliseconds to accuracy; here a huge latency can
    take at most its weight off a success, and never makes a failure look good."""
    w = RewardWeights()
    got = rewards(np.array([1.0, 0.0]), np.array([NAN, NAN]), np.array([90_000.0, 10.0]),
                  np.array([NAN, NAN]), w, (10.0, 90_000.0), None)
    assert got.tolist() == pytest.approx([0.9, 0.0])


def test_target_wins_over_range() -> None:
    w = RewardWeights(latency=0.2, cost=0.0, latency_target_ms=1000.0)
    got = rewards(np.array([1.0]), np.array([NAN]), np.array([2000.0]), np.array([NAN]), w,
                  (0.0, 2000.0), None)
    assert got.tolist() == pytest.approx([0.9])  # 1 - 0.2 * (1 - 0.5)


def test_no_range_no_target_no_penalty() -> None:
    got = rewards(np.array([1.0]), np.array([NAN]), np.array([5000.0]), np.array([3.0]),
                  RewardWeights(), None, None)
    assert got.tolist() == [1.0]


@pytest.mark.parametrize("kw", [{"latency": 0.6, "cost": 0.5}, {"latency": -0.1},
                                {"latency_target_ms": 0.0}])
def test_bad_weights_are_refused(kw: dict) -> None:
    with pytest.raises(ValueError):
        RewardWeights(**kw)
