"""The reward of one outcome: a utility in [0, 1] from quality, latency and cost.

The original sketch added accuracy in [0, 1] to a latency in milliseconds and a cost in
dollars, so latency decided everything. Here latency and cost are first mapped onto
[0, 1] (1 = best) against the category's observed range or a configured target, and
then only *discount* a result's quality:

    utility = quality * (1 - w_latency * (1 - latency_score) - w_cost * (1 - cost_score))

so a failure is worth 0 however fast and cheap it was, a perfect, fast, cheap success is
worth 1, and a success that was as slow and expensive as anything seen keeps
1 - w_latency - w_cost. Quality is the outcome's accuracy when given (partial credit,
e.g. the share of tests passed), else 1 for success and 0 for failure. A missing
latency or cost neither helps nor hurts (score 1: no penalty).

All functions take and return numpy arrays (scalars work too) so a batch of outcomes
is scored in a few vectorised calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class RewardWeights:
    """How much latency and cost may take off a success (each >= 0, together <= 1)."""

    latency: float = 0.1
    cost: float = 0.1
    latency_target_ms: float | None = None
    cost_target_usd: float | None = None

    def __post_init__(self) -> None:
        if self.latency < 0 or self.cost < 0 or self.latency + self.cost > 1:
            raise ValueError(
                f"reward weights must be >= 0 and sum to at most 1 "
                f"(latency={self.latency}, cost={self.cost})"
            )
        for name in ("latency_target_ms", "cost_target_usd"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0, got {value}")


def quality(success: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Accuracy where given (not NaN), else 1.0 for success and 0.0 for failure."""
    success = np.asarray(success, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    return np.clip(np.where(np.isnan(accuracy), success, accuracy), 0.0, 1.0)


def score_against_range(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Lower is better: 1 at or below `lo`, 0 at or above `hi`, linear between.

    A degenerate range (hi <= lo, e.g. a single observation) gives 1 everywhere: with
    nothing to compare against, no value is penalised. NaN (not reported) gives 1.
    """
    x = np.asarray(x, dtype=float)
    if not hi > lo:
        return np.ones_like(x)
    score = np.clip((hi - x) / (hi - lo), 0.0, 1.0)
    return np.where(np.isnan(x), 1.0, score)


def score_against_target(x: np.ndarray, target: float) -> np.ndarray:
    """Lower is better: 1 at or below `target`, then target / x (half as good at 2x)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(x <= target, 1.0, target / x)
    return np.where(np.isnan(x), 1.0, np.clip(score, 0.0, 1.0))


def utility(
    quality_: np.ndarray,
    latency_score: np.ndarray,
    cost_score: np.ndarray,
    weights: RewardWeights,
) -> np.ndarray:
    """Combine quality with already-normalised latency and cost scores into [0, 1]."""
    q = np.asarray(quality_, dtype=float)
    penalty = weights.latency * (1.0 - np.asarray(latency_score, dtype=float)) + weights.cost * (
        1.0 - np.asarray(cost_score, dtype=float)
    )
    return np.clip(q * (1.0 - penalty), 0.0, 1.0)


def rewards(
    success: np.ndarray,
    accuracy: np.ndarray,
    latency_ms: np.ndarray,
    cost_usd: np.ndarray,
    weights: RewardWeights,
    latency_range: tuple[float, float] | None,
    cost_range: tuple[float, float] | None,
) -> np.ndarray:
    """Utilities for a batch of one category's outcomes (NaN = not reported).

    A configured target wins over the observed range; with neither, no penalty.
    """
    lat = score(latency_ms, weights.latency_target_ms, latency_range)
    cost = score(cost_usd, weights.cost_target_usd, cost_range)
    return utility(quality(success, accuracy), lat, cost, weights)


def score(
    x: np.ndarray, target: float | None, observed: tuple[float, float] | None
) -> np.ndarray:
    """Lower-is-better score in [0, 1]: against the target if configured, else against
    the observed range, else 1 (nothing to compare with)."""
    if target is not None:
        return score_against_target(x, target)
    if observed is not None:
        return score_against_range(x, *observed)
    return np.ones_like(np.asarray(x, dtype=float))
