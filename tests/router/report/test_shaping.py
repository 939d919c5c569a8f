"""The report's pure numpy shaping, against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from router.report.shaping import frontier_path, pareto_frontier, running_beta, thin


def test_pareto_frontier_by_hand() -> None:
    # A (1, .5) B (2, .8) C (3, .7: B is cheaper and better) D (2, .6: B same cost, better)
    # E (5, .95) F (0.5, .2)  -> frontier F, A, B, E
    cost = np.array([1.0, 2.0, 3.0, 2.0, 5.0, 0.5])
    score = np.array([0.5, 0.8, 0.7, 0.6, 0.95, 0.2])
    assert pareto_frontier(cost, score).tolist() == [True, True, False, False, True, True]
    xs, ys = frontier_path(cost, score)
    assert xs.tolist() == [0.5, 1.0, 2.0, 5.0]
    assert ys.tolist() == [0.2, 0.5, 0.8, 0.95]


def test_identical_points_both_stay_and_equal_score_costlier_is_dominated() -> None:
    cost = np.array([1.0, 1.0, 2.0, 0.0])
    score = np.array([0.7, 0.7, 0.7, 0.1])
    assert pareto_frontier(cost, score).tolist() == [True, True, False, True]


def test_pareto_refuses_unknown_cost() -> None:
    with pytest.raises(ValueError, match="unknown costs apart"):
        pareto_frontier(np.array([1.0, np.nan]), np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="same length"):
        pareto_frontier(np.array([1.0]), np.array([0.5, 0.6]))


def test_running_beta_by_hand() -> None:
    # S S F: Beta(2,1) -> 2/3; Beta(3,1) -> 3/4; Beta(3,2) -> 3/5
    mean, sd = running_beta(np.array([True, True, False]))
    assert mean.tolist() == pytest.approx([2 / 3, 3 / 4, 3 / 5])
    # var Beta(3,2) = 3*2 / (25 * 6) = 0.04
    assert sd[-1] == pytest.approx(0.2)
    # var Beta(2,1) = 2 / (9 * 4)
    assert sd[0] == pytest.approx(np.sqrt(2 / 36))


def test_thin_keeps_ends_and_bounds_the_count() -> None:
    assert thin(5, 10).tolist() == [0, 1, 2, 3, 4]
    idx = thin(1_000_001, 300)
    assert idx[0] == 0 and idx[-1] == 1_000_000
    assert len(idx) == 300 and np.all(np.diff(idx) > 0)
    assert thin(10, 4).tolist() == [0, 3, 6, 9]
    with pytest.raises(ValueError):
        thin(10, 1)
