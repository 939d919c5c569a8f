"""From benchmark scores to a layer (1 best .. 6) per task category, and fallback order.

docs/placement.md walks through a real example; the rules, in the order they apply:

1. **Like with like.** A category's score uses only the benchmarks that every candidate
   of the category has a score for (its weights renormalised over them). A model with
   HumanEval alone therefore meets the others on HumanEval alone, never its one number
   against their average of two. Should no benchmark be common to all candidates, the
   benchmark most candidates have is used and the models without it are left out of the
   category (their evidence is untouched; assess them on it to place them).
2. **One number per model, fixed exchange rates.** The rank score is

       u = accuracy - LATENCY_WEIGHT * log10(latency p50 / 1 s)
                    - COST_WEIGHT * log10(cost per solved task / $0.01)

   i.e. a model ten times slower (or costlier) must solve LATENCY_WEIGHT (COST_WEIGHT)
   more of the tasks to rank level. Logs because latency and cost spread over orders of
   magnitude; fixed weights (rather than z-scores of each term, which the original
   sketch's raw milliseconds were replaced by at first) because then the order of two
   models never depends on which other models are in the population. An unknown latency
   or cost is taken as the median of the known ones (neutral), and the evidence says so.
   The ends of the accuracy's 95% interval carry the same penalty: u's interval.
   Robustness does not enter u: its failure share counts samples that already count as
   failed in pass@1, and its agreement term is only defined with several samples per task.
3. **Scale.** With MIN_POPULATION or more candidates, u and its interval ends are
   z-scored over the candidates (`benchmarks.stats.standardisation`: tied scores give
   z = 0, nothing is divided by a rounding residue) and cut by Z_LAYER_FLOORS. With fewer,
   a z-score is undefined: the placement is provisional and the layer comes from the
   absolute ABSOLUTE_LAYER_FLOORS applied to accuracy and its interval.
4. **Only what the interval supports.** The interval's ends give the best and the worst
   layer the evidence allows. A model placed before on the same scale stays in its
   layer if that is allowed, else moves to the nearest allowed layer (hysteresis: noise
   does not reshuffle the hierarchy, and a move never overshoots). A new model in a
   z-scored population starts from the middle layer (CENTRE_LAYER, "indistinguishable
   from the average") and goes only as far out as its interval allows, so models whose
   intervals overlap are never placed on opposite sides of the middle layer. A
   provisional newcomer starts from its point estimate.
5. **No inversions.** Models with equal rank scores (to ROUND_DIGITS) are tied and share
   the best layer any of them earned; then a model is never placed below a model with a
   lower rank score (it is promoted to that layer). Fallback order is layer, then rank
   score, so it can never contradict the layers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.stats import standardisation


class _RegisteredWeights(Mapping[str, Mapping[str, float]]):
    """Category -> {benchmark: weight}, as the benchmarks registered themselves
    (`@register(..., weights=...)`): read on each use, so a suite registered later (a
    plugin, a test) counts too, and this module never lists the suites."""

    def _current(self) -> dict[str, dict[str, float]]:
        from benchmarks.registry import category_weights

        return category_weights()

    def __getitem__(self, category: str) -> Mapping[str, float]:
        return self._current()[category]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return repr(self._current())


DEFAULT_CATEGORY_WEIGHTS: Mapping[str, Mapping[str, float]] = _RegisteredWeights()
#: accuracy (share of tasks) a model gives up per tenfold latency / cost
LATENCY_WEIGHT = 0.05
COST_WEIGHT = 0.05
#: the latency and cost at which their terms are zero (they only shift u)
REFERENCE_LATENCY_MS = 1000.0
REFERENCE_COST_USD = 0.01
MIN_POPULATION = 3
#: rank scores equal to this many decimals are a tie
ROUND_DIGITS = 9

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


#: where a newcomer to a z-scored population starts: the layer of z = 0, the average
CENTRE_LAYER = layer_for(0.0, Z_LAYER_FLOORS)


def stable_layer(point: float, low: float, high: float, floors: Sequence[float],
                 previous: int | None, anchor: int | None = None) -> int:
    """The layer nearest to `previous` (else `anchor`, else the point estimate's layer)
    among the layers the interval [low, high] allows."""
    best, worst = layer_for(high, floors), layer_for(low, floors)
    start = previous if previous is not None else anchor
    if start is None:
        start = layer_for(point, floors)
    return min(max(start, best), worst)


@dataclass
class _Row:
    model_id: str
    accuracy: float
    low: float
    high: float
    latency: float | None
    cost: float | None
    robustness: float | None
    benchmarks: list[str]
    ignored: list[str]
    u: float = 0.0
    u_low: float = 0.0
    u_high: float = 0.0
    assumed: list[str] = field(default_factory=list)


def common_benchmarks(evidence: Mapping[str, Mapping[str, BenchmarkEvidence]],
                      weights: Mapping[str, float]) -> tuple[list[str], list[str]]:
    """(benchmarks the category's score uses, candidates left out for lacking them).

    Candidates are the models with a score on at least one weighted benchmark.
    """
    weighted = sorted(b for b, w in weights.items() if w > 0)
    have = {m: {b for b in weighted if b in benches} for m, benches in evidence.items()}
    have = {m: bs for m, bs in have.items() if bs}
    if not have:
        return [], []
    common = set(weighted).intersection(*have.values())
    if not common:
        def reach(b: str) -> tuple[int, float, str]:
            return (-sum(b in bs for bs in have.values()), -weights[b], b)
        common = {min(weighted, key=reach)}
    left_out = sorted(m for m, bs in have.items() if not common <= bs)
    return sorted(common), left_out


def _weighted(parts: list[tuple[float, float | None]]) -> float | None:
    known = [(w, v) for w, v in parts if v is not None]
    if len(known) < len(parts):
        return None
    return sum(w * v for w, v in known) / sum(w for w, _ in known)


def _rows(evidence: Mapping[str, Mapping[str, BenchmarkEvidence]],
          weights: Mapping[str, float], used: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    if not used:
        return rows
    for model_id in sorted(evidence):
        benches = evidence[model_id]
        if not all(b in benches for b in used):
            continue
        parts = [(weights[b], benches[b]) for b in used]
        total = sum(w for w, _ in parts)
        rows.append(_Row(
            model_id=model_id,
            accuracy=sum(w * e.pass_at_1 for w, e in parts) / total,
            low=sum(w * e.ci_low for w, e in parts) / total,
            high=sum(w * e.ci_high for w, e in parts) / total,
            latency=_weighted([(w, e.latency_p50_ms) for w, e in parts]),
            cost=_weighted([(w, e.cost_per_solved_usd) for w, e in parts]),
            robustness=_weighted([(w, e.robustness) for w, e in parts]),
            benchmarks=list(used),
            ignored=sorted(b for b in benches if b in weights and weights[b] > 0
                           and b not in used),
        ))
    return rows


def _log_terms(values: list[float | None], floor: float, reference: float
               ) -> tuple[list[float], list[bool]]:
    """log10(value / reference) per row; unknown rows get the median of the known."""
    logs = [math.log10(max(v, floor) / reference) if v is not None else None for v in values]
    known = sorted(x for x in logs if x is not None)
    fill = statistics.median(known) if known else 0.0
    return [fill if x is None else x for x in logs], [x is None for x in logs]


def _rank_scores(rows: list[_Row]) -> None:
    lat, lat_assumed = _log_terms([r.latency for r in rows], 1e-3, REFERENCE_LATENCY_MS)
    cost, cost_assumed = _log_terms([r.cost for r in rows], 1e-9, REFERENCE_COST_USD)
    for r, lt, ct, la, ca in zip(rows, lat, cost, lat_assumed, cost_assumed, strict=True):
        penalty = LATENCY_WEIGHT * lt + COST_WEIGHT * ct
        r.u = round(r.accuracy - penalty, ROUND_DIGITS)
        r.u_low = round(r.low - penalty, ROUND_DIGITS)
        r.u_high = round(r.high - penalty, ROUND_DIGITS)
        r.assumed = [name for name, flag in (("latency", la), ("cost", ca)) if flag]


def _no_inversions(order: list[_Row], layers: dict[str, int], why: dict[str, str]) -> None:
    """Ties share their best layer; nobody sits below a model with a lower rank score."""
    groups: list[list[_Row]] = []
    for r in order:  # best first
        if groups and groups[-1][0].u == r.u:
            groups[-1].append(r)
        else:
            groups.append([r])
    below = 7  # the best layer held by any lower-ranked group
    for group in reversed(groups):
        best = min(layers[r.model_id] for r in group)
        target = min(best, below)
        for r in group:
            if layers[r.model_id] != target:
                why[r.model_id] = (
                    f"tied with {', '.join(x.model_id for x in group if x is not r)}: "
                    f"shares layer {target}" if target == best else
                    f"promoted to layer {target}: a model with a lower rank score holds it"
                )
                layers[r.model_id] = target
        below = target


def place_category(
    category: str,
    evidence: Mapping[str, Mapping[str, BenchmarkEvidence]],
    weights: Mapping[str, float],
    previous: Mapping[str, tuple[int, bool]] | None = None,
) -> list[Decision]:
    """Place every model with evidence for this category; best first.

    `evidence[model][benchmark]`; `previous[model] = (layer, provisional)`. A previous
    layer counts only on the same scale (both provisional or both z-scored).
    """
    previous = previous or {}
    used, left_out = common_benchmarks(evidence, weights)
    rows = _rows(evidence, weights, used)
    if not rows:
        return []
    _rank_scores(rows)
    provisional = len(rows) < MIN_POPULATION
    if provisional:
        floors = ABSOLUTE_LAYER_FLOORS
        scale = "absolute accuracy (provisional)"
        points = {r.model_id: (r.accuracy, r.low, r.high) for r in rows}
        anchor_of = {r.model_id: layer_for(r.accuracy, floors) for r in rows}
    else:
        floors = Z_LAYER_FLOORS
        scale = "z-scores of the rank score"
        fit = standardisation([r.u for r in rows], MIN_POPULATION)
        assert fit is not None  # len(rows) >= MIN_POPULATION
        mean, std = fit

        def z(x: float) -> float:
            return 0.0 if math.isinf(std) else (x - mean) / std

        points = {r.model_id: (z(r.u), z(r.u_low), z(r.u_high)) for r in rows}
        anchor_of = dict.fromkeys(points, CENTRE_LAYER)

    layers: dict[str, int] = {}
    why: dict[str, str] = {}
    allowed: dict[str, tuple[int, int]] = {}
    kept: dict[str, int | None] = {}
    for r in rows:
        point, low, high = points[r.model_id]
        prev = previous.get(r.model_id)
        prev_layer = prev[0] if prev and prev[1] == provisional else None
        kept[r.model_id] = prev_layer
        best, worst = layer_for(high, floors), layer_for(low, floors)
        allowed[r.model_id] = (best, worst)
        layer = stable_layer(point, low, high, floors, prev_layer, anchor_of[r.model_id])
        layers[r.model_id] = layer
        span = f"the interval allows layers {best}-{worst}"
        if prev_layer is None:
            start = "the middle layer" if not provisional else "its point estimate's layer"
            why[r.model_id] = f"first placement: {span}; nearest to {start}"
        elif layer == prev_layer:
            why[r.model_id] = f"kept layer {prev_layer}: {span}"
        else:
            why[r.model_id] = f"moved from layer {prev_layer} to {layer}: {span}, and " \
                              f"{layer} is the nearest of them"

    order = sorted(rows, key=lambda r: (-r.u, r.model_id))
    _no_inversions(order, layers, why)

    decisions = []
    for r in rows:
        point, low, high = points[r.model_id]
        decisions.append(Decision(
            model_id=r.model_id, category=category, layer=layers[r.model_id],
            score=r.u if provisional else point, provisional=provisional, pass_rate=r.accuracy,
            latency_ms=r.latency, cost_per_solved_usd=r.cost,
            evidence={
                "benchmarks": r.benchmarks, "not_compared": r.ignored,
                "left_out": left_out,
                "accuracy": r.accuracy, "accuracy_ci": [r.low, r.high],
                "rank_score": r.u, "rank_score_ci": [r.u_low, r.u_high],
                "score_ci": [low, high],
                "allowed_layers": list(allowed[r.model_id]),
                "previous_layer": kept[r.model_id],
                "assumed_neutral": r.assumed,
                "cost_known": r.cost is not None,
                "robustness": r.robustness,
                "population": len(rows), "rule": scale, "why": why[r.model_id],
                "kept_previous_layer": kept[r.model_id] == layers[r.model_id]
                and layer_for(point, floors) != layers[r.model_id],
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
