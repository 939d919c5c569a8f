"""From benchmark scores to a layer (1 best .. 6) per task category, and fallback order.

Why standardised terms: the original sketch added a 0-1 accuracy to a latency in
milliseconds, so latency decided everything. Here, with three or more models in a
category, every term is a z-score over that population (same protocol version):

    score = z(accuracy) - LATENCY_WEIGHT * z(log latency p50) - COST_WEIGHT * z(log cost)

Logs because latency and cost spread over orders of magnitude. A model whose cost is
unknown gets a cost term of 0 (neutral) and its evidence says so. With fewer than three
models a z-score is undefined: the placement is marked provisional and the layer comes
from absolute accuracy thresholds instead. All thresholds live in this module.

Stability: a model keeps its previous layer as long as that layer lies between the
layers of its score at the lower and the upper end of its 95% interval, so sampling
noise does not reshuffle the hierarchy every night; it moves only when the interval
supports the move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from benchmarks.stats import zscores

DEFAULT_CATEGORY_WEIGHTS: dict[str, dict[str, float]] = {
    "code-generation": {"humaneval": 0.5, "mbpp": 0.5},
    "bug-fix": {"swebench": 1.0},
    "multi-file": {"swebench": 1.0},
}
LATENCY_WEIGHT = 0.15
COST_WEIGHT = 0.15
MIN_POPULATION = 3

# A score at or above floor[i] is layer i+1; below the last floor is layer 6.
Z_LAYER_FLOORS = (1.0, 0.5, 0.0, -0.5, -1.0)
ABSOLUTE_LAYER_FLOORS = (0.85, 0.70, 0.55, 0.40, 0.20)


@dataclass(frozen=True)
class BenchmarkEvidence:
    pass_at_1: float
    ci_low: float
    ci_high: float
    latency_p50_ms: float | None
    cost_per_solved_usd: float | None
    robustness: float | None = None


@dataclass(frozen=True)
class Decision:
    model_id: str
    category: str
    layer: int
    score: float
    provisional: bool
    pass_rate: float
    latency_ms: float | None
    cost_per_solved_usd: float | None
    evidence: dict[str, Any] = field(default_factory=dict)


def layer_for(score: float, floors: Sequence[float]) -> int:
    return 1 + sum(score < f for f in floors)


def stable_layer(point: float, low: float, high: float, floors: Sequence[float],
                 previous: int | None) -> int:
    """Keep `previous` while the interval [low, high] still reaches it."""
    candidate = layer_for(point, floors)
    if previous is None:
        return candidate
    best, worst = layer_for(high, floors), layer_for(low, floors)
    return previous if best <= previous <= worst else candidate


def _weighted(parts: list[tuple[float, float | None]]) -> float | None:
    known = [(w, v) for w, v in parts if v is not None]
    if not known or len(known) < len(parts):
        return None
    total = sum(w for w, _ in known)
    return sum(w * v for w, v in known) / total


def place_category(
    category: str,
    evidence: Mapping[str, Mapping[str, BenchmarkEvidence]],
    weights: Mapping[str, float],
    previous: Mapping[str, tuple[int, bool]] | None = None,
) -> list[Decision]:
    """Place every model with evidence for this category; best first.

    `evidence[model][benchmark]`; `previous[model] = (layer, provisional)`.
    """
    previous = previous or {}
    rows = []
    for model_id, benches in evidence.items():
        parts = [(w, benches[b]) for b, w in weights.items() if b in benches and w > 0]
        if not parts:
            continue
        total = sum(w for w, _ in parts)
        acc = sum(w * e.pass_at_1 for w, e in parts) / total
        lo = sum(w * e.ci_low for w, e in parts) / total
        hi = sum(w * e.ci_high for w, e in parts) / total
        latency = _weighted([(w, e.latency_p50_ms) for w, e in parts])
        cost = _weighted([(w, e.cost_per_solved_usd) for w, e in parts])
        used = sorted(b for b, w in weights.items() if b in benches and w > 0)
        rows.append((model_id, acc, lo, hi, latency, cost, used))
    if not rows:
        return []

    accs = np.array([r[1] for r in rows])
    provisional = len(rows) < MIN_POPULATION
    if provisional:
        scores, lows, highs = accs, np.array([r[2] for r in rows]), np.array([r[3] for r in rows])
        floors = ABSOLUTE_LAYER_FLOORS
        z_lat = z_cost = np.zeros(len(rows))
    else:
        # z of accuracy; the interval ends are mapped with the same mean and spread.
        mean, std = accs.mean(), accs.std(ddof=0) or 1.0
        z_acc = (accs - mean) / std
        lat = np.array([math.log(max(r[4], 1e-3)) if r[4] is not None else np.nan for r in rows])
        z_lat = np.nan_to_num(zscores(lat))
        cost = np.array([math.log(max(r[5], 1e-9)) if r[5] is not None else np.nan
                         for r in rows])
        z_cost = np.nan_to_num(zscores(cost))
        penalty = LATENCY_WEIGHT * z_lat + COST_WEIGHT * z_cost
        scores = z_acc - penalty
        lows = (np.array([r[2] for r in rows]) - mean) / std - penalty
        highs = (np.array([r[3] for r in rows]) - mean) / std - penalty
        floors = Z_LAYER_FLOORS

    decisions = []
    for i, (model_id, acc, lo, hi, latency, cost, benches) in enumerate(rows):
        prev = previous.get(model_id)
        prev_layer = prev[0] if prev and prev[1] == provisional else None
        layer = stable_layer(float(scores[i]), float(lows[i]), float(highs[i]), floors, prev_layer)
        decisions.append(Decision(
            model_id=model_id, category=category, layer=layer, score=round(float(scores[i]), 6),
            provisional=provisional, pass_rate=acc, latency_ms=latency,
            cost_per_solved_usd=cost,
            evidence={
                "benchmarks": benches, "accuracy": acc, "accuracy_ci": [lo, hi],
                "z_latency": float(z_lat[i]), "z_cost": float(z_cost[i]),
                "cost_known": cost is not None, "population": len(rows),
                "rule": "absolute thresholds (provisional)" if provisional else "z-scores",
                "kept_previous_layer": prev_layer == layer and layer_for(
                    float(scores[i]), floors) != layer,
            },
        ))
    return fallback_sorted(decisions)


def fallback_sorted(decisions: Sequence[Decision]) -> list[Decision]:
    """Layer, then score (high first), then cost, then latency (unknown last)."""
    inf = float("inf")
    return sorted(decisions, key=lambda d: (
        d.layer, -d.score,
        d.cost_per_solved_usd if d.cost_per_solved_usd is not None else inf,
        d.latency_ms if d.latency_ms is not None else inf, d.model_id,
    ))
