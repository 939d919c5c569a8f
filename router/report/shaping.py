"""Pure numpy shaping for the report: Pareto frontier, running posteriors, thinning.

Kept free of the store and of matplotlib so each function can be checked against values
worked out by hand (tests/router/report/test_shaping.py).
"""

from __future__ import annotations

import numpy as np

from router.thompson import posterior_mean


def pareto_frontier(cost: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Mask of the points no other point beats: cheaper-or-equal AND better-or-equal,
    strictly better in at least one.

    Lower cost and higher score are better. Identical points do not dominate each other,
    so both stay on the frontier. NaN is refused: a model whose cost is unknown has no
    place on a cost axis and must be listed apart by the caller, never placed at 0.
    """
    c = np.asarray(cost, dtype=float)
    s = np.asarray(score, dtype=float)
    if c.shape != s.shape or c.ndim != 1:
        raise ValueError("cost and score must be 1-D arrays of the same length")
    if np.isnan(c).any() or np.isnan(s).any():
        raise ValueError("cost and score must not contain NaN; list unknown costs apart")
    no_worse = (c[None, :] <= c[:, None]) & (s[None, :] >= s[:, None])  # [i, j]: j vs i
    better = (c[None, :] < c[:, None]) | (s[None, :] > s[:, None])
    return np.asarray(~(no_worse & better).any(axis=1))


def frontier_path(cost: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frontier's points ordered by cost (then score), ready to draw as a staircase."""
    c = np.asarray(cost, dtype=float)
    s = np.asarray(score, dtype=float)
    on = pareto_frontier(c, s)
    order = np.lexsort((s[on], c[on]))
    return c[on][order], s[on][order]


def running_beta(successes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of Beta(1 + s, 1 + f) after each outcome in turn.

    Undiscounted and from the uniform prior on purpose: the report shows what the live
    outcomes alone say, independent of the router's tuning (discount, warm-start
    strength), so curves stay comparable when that tuning changes.
    """
    wins = np.asarray(successes, dtype=bool).astype(float)
    n = np.arange(1, wins.size + 1, dtype=float)
    alpha = 1.0 + np.cumsum(wins)
    beta = 1.0 + n - np.cumsum(wins)
    total = alpha + beta
    mean = posterior_mean(alpha, beta)
    sd = np.sqrt(alpha * beta / (total * total * (total + 1.0)))
    return mean, sd


def thin(n: int, max_points: int) -> np.ndarray:
    """At most `max_points` indices into a series of `n`, evenly spread, first and last
    always kept, so a chart of a million outcomes stays a small SVG."""
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points}")
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.intp))
