"""Live performance per (category, model): counts, accuracy, latency, cost, tokens.

Counts, accuracy, cost and tokens cover every outcome the tracker has seen (on start:
the stored outcomes of the last `lookback_days`, see `router.router`). Latency
percentiles cover a sliding window of the model's most recent `window` outcomes that
reported a latency: when the window is full the *oldest* value leaves (a deque with a
maximum length), never the smallest, which is what the original sketch's
sort-then-drop did and which biased every percentile upwards.

The tracker also keeps each category's recent latencies and costs (across models) so
the reward can normalise against the category's observed range.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

LATENCY_PERCENTILES = (50.0, 95.0, 99.0)
RANGE_PERCENTILES = (5.0, 95.0)
_RANGE_RECOMPUTE_EVERY = 32


# --- statistics (pure) -----------------------------------------------------------------


def percentiles(values: np.ndarray, qs: tuple[float, ...] = LATENCY_PERCENTILES) -> (
    tuple[float, ...] | None
):
    """Linear-interpolation percentiles (numpy's default); None for no values."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return None
    return tuple(float(v) for v in np.percentile(arr, qs))


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return None if denominator == 0 else numerator / denominator


def cost_per_success(total_cost: float, cost_reports: int, successes: int) -> float | None:
    """Money spent per successful outcome; None while nothing succeeded or no cost is known.

    The original sketch divided by zero successes here.
    """
    if successes == 0 or cost_reports == 0:
        return None
    return total_cost / successes


def observed_range(values: np.ndarray) -> tuple[float, float] | None:
    """(p5, p95) of the values, robust to one wild outlier; None under two values."""
    arr = np.asarray(values, dtype=float)
    if arr.size < 2:
        return None
    lo, hi = np.percentile(arr, RANGE_PERCENTILES)
    return float(lo), float(hi)


# --- state -----------------------------------------------------------------------------


@dataclass(slots=True)
class _ModelStats:
    window: int
    attempts: int = 0
    successes: int = 0
    accuracy_sum: float = 0.0
    accuracy_n: int = 0
    cost_sum: float = 0.0
    cost_n: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latencies: deque[float] = field(init=False)

    def __post_init__(self) -> None:
        self.latencies = deque(maxlen=self.window)


class _RecentValues:
    """A category's recent values with a lazily recomputed (p5, p95) range.

    Recomputing the percentiles on every outcome would dominate the cost of recording
    a batch; the range moves slowly, so it is refreshed every 32 new values (and on
    every value while fewer than 64 are known, when each one moves it a lot).
    """

    __slots__ = ("values", "_range", "_dirty")

    def __init__(self, window: int) -> None:
        self.values: deque[float] = deque(maxlen=window)
        self._range: tuple[float, float] | None = None
        self._dirty = 0

    def append(self, value: float) -> None:
        self.values.append(value)
        self._dirty += 1

    def range(self) -> tuple[float, float] | None:
        if self._dirty and (self._dirty >= _RANGE_RECOMPUTE_EVERY or len(self.values) < 64):
            self._range = observed_range(np.fromiter(self.values, dtype=float))
            self._dirty = 0
        return self._range


@dataclass(frozen=True, slots=True)
class ModelPerformance:
    category: str
    model: str
    attempts: int
    successes: int
    success_rate: float | None
    mean_accuracy: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    latency_window: int
    mean_cost_usd: float | None
    cost_per_success_usd: float | None
    tokens_in: int
    tokens_out: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _present(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


class PerformanceTracker:
    """In-memory aggregates; not thread-safe (the Router serialises access)."""

    def __init__(self, window: int = 1000) -> None:
        if window < 1:
            raise ValueError(f"tracker window must be >= 1, got {window}")
        self.window = window
        self._stats: dict[tuple[str, str], _ModelStats] = {}
        self._latency: dict[str, _RecentValues] = {}
        self._cost: dict[str, _RecentValues] = {}

    def add(
        self,
        category: str,
        model: str,
        success: bool,
        accuracy: float | None = None,
        latency_ms: float | None = None,
        cost_usd: float | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
    ) -> None:
        key = (category, model)
        st = self._stats.get(key)
        if st is None:
            st = self._stats[key] = _ModelStats(self.window)
        st.attempts += 1
        if success:
            st.successes += 1
        if _present(accuracy):
            st.accuracy_sum += accuracy  # type: ignore[operator]
            st.accuracy_n += 1
        if _present(latency_ms):
            st.latencies.append(latency_ms)  # type: ignore[arg-type]
            self._recent(self._latency, category).append(latency_ms)  # type: ignore[arg-type]
        if _present(cost_usd):
            st.cost_sum += cost_usd  # type: ignore[operator]
            st.cost_n += 1
            self._recent(self._cost, category).append(cost_usd)  # type: ignore[arg-type]
        if _present(tokens_in):
            st.tokens_in += int(tokens_in)  # type: ignore[arg-type]
        if _present(tokens_out):
            st.tokens_out += int(tokens_out)  # type: ignore[arg-type]

    def _recent(self, table: dict[str, _RecentValues], category: str) -> _RecentValues:
        recent = table.get(category)
        if recent is None:
            recent = table[category] = _RecentValues(self.window)
        return recent

    def latency_range(self, category: str) -> tuple[float, float] | None:
        recent = self._latency.get(category)
        return None if recent is None else recent.range()

    def cost_range(self, category: str) -> tuple[float, float] | None:
        recent = self._cost.get(category)
        return None if recent is None else recent.range()

    def latency_window(self, category: str, model: str) -> list[float]:
        st = self._stats.get((category, model))
        return [] if st is None else list(st.latencies)

    def snapshot(self, category: str | None = None) -> list[ModelPerformance]:
        """Every (category, model) seen, ordered by category then success rate."""
        out = []
        for (cat, model), st in self._stats.items():
            if category is not None and cat != category:
                continue
            pct = percentiles(np.fromiter(st.latencies, dtype=float))
            p50, p95, p99 = pct if pct is not None else (None, None, None)
            out.append(
                ModelPerformance(
                    category=cat,
                    model=model,
                    attempts=st.attempts,
                    successes=st.successes,
                    success_rate=ratio(st.successes, st.attempts),
                    mean_accuracy=ratio(st.accuracy_sum, st.accuracy_n),
                    latency_p50_ms=p50,
                    latency_p95_ms=p95,
                    latency_p99_ms=p99,
                    latency_window=len(st.latencies),
                    mean_cost_usd=ratio(st.cost_sum, st.cost_n),
                    cost_per_success_usd=cost_per_success(st.cost_sum, st.cost_n, st.successes),
                    tokens_in=st.tokens_in,
                    tokens_out=st.tokens_out,
                )
            )
        out.sort(key=lambda p: (p.category, -(p.success_rate or 0.0), p.model))
        return out
