"""Sequential assessment: stop asking a model once its layer is known.

The question an assessment answers is "which layer does this model land in?", and for
most models the answer is clear long before the last task. This module decides when.

**What is estimated.** A benchmark is a finite suite of N tasks and a model's full run
would pass some number S of them. The tasks are asked in a uniformly random order
(sampling *without replacement*), so after t tasks with k passes the unknown is S, an
integer in [k, k + N - t]. Once all N are asked, S is known exactly.

**The confidence sequence.** Waudby-Smith & Ramdas (2020), "Confidence sequences for
sampling without replacement", NeurIPS 33 (arXiv:2006.04347), Section 3: the
prior-posterior-ratio (PPR) martingale for a binary finite population. Put a
beta-binomial prior pi_0 on S (default Beta(1, 1): every S equally likely); after t draws
the posterior pi_t is again beta-binomial (k passes seen, the remaining N - t tasks
hold BetaBinomial(N - t, a + k, b + t - k) more). For the true S,
M_t(S) = pi_0(S) / pi_t(S) is a nonnegative martingale with M_0 = 1 (it is the ratio of
the prior-predictive probability of the draws to their probability under S), so by
Ville's inequality P(there is a t with M_t(S) >= 1/alpha) <= alpha. Hence

    C_t = { S : pi_0(S) / pi_t(S) < 1/alpha }

holds the true S at *every* t simultaneously with probability >= 1 - alpha: the set may
be looked at after every task and the assessment stopped on any rule without losing the
guarantee (a fixed-n Wilson interval checked after every task does lose it; the tests
show how much). The running intersection of the C_t keeps the same guarantee and never
widens. The finite-population correction is built in: the posterior knows only N - t
tasks are left, and C_N = {S}. The prior only decides how fast the set shrinks, never
whether it covers; any prior fixed before the first task is valid.

**The stopping rule.** The layer is decided when every count the confidence sequence
still allows gives the same layer: `decided_layer` evaluates the caller's `layer_of`
(for placement, `FullRunLayers.layer`, which calls `benchmarks.layering.place_category`
with the full run each count would be) over the box of allowed counts. Several
benchmarks feeding one category share alpha equally (Bonferroni: the box holds the true
counts of all of them with probability >= 1 - alpha).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from benchmarks.layering import BenchmarkEvidence, place_category
from benchmarks.stats import wilson_interval

#: the default confidence of a decided layer
DEFAULT_CONFIDENCE = 0.95
#: the default beta-binomial prior on a full run's pass count: uniform
UNIFORM_PRIOR = (1.0, 1.0)

@functools.lru_cache(maxsize=32)
def _log_factorials(n: int) -> NDArray[np.float64]:
    """log(i!) for i = 0..n, exact to rounding (a running sum of logs); read-only (cached)."""
    table = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))])
    table.flags.writeable = False
    return table


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def log_ppr(n_total: int, asked: int, passed: int,
            prior: tuple[float, float] = UNIFORM_PRIOR) -> NDArray[np.float64]:
    """log M_t(S) = log pi_0(S) - log pi_t(S) for every S = 0..N (+inf where pi_t is 0).

    With a Beta(a, b) prior both pi_0 and pi_t are beta-binomial and their Beta(S + a,
    N - S + b) terms cancel, leaving

        M_t(S) = C(N, S) / C(N - t, S - k) * B(a + k, b + t - k) / B(a, b),

    so the prior only scales the ratio, and log M_t is convex in S (C_t is an interval).
    """
    if not 0 <= passed <= asked <= n_total:
        raise ValueError(f"need 0 <= passed ({passed}) <= asked ({asked}) <= "
                         f"tasks ({n_total})")
    return _log_ratios(n_total, np.array([asked]), np.array([passed]), prior)[0]


def _log_ratios(n_total: int, asked: NDArray[np.int64], passed: NDArray[np.int64],
                prior: tuple[float, float]) -> NDArray[np.float64]:
    """log M for several (asked, passed) at once: [len(asked), N + 1]."""
    a, b = prior
    if a <= 0 or b <= 0:
        raise ValueError(f"the beta prior needs positive parameters, got {prior}")
    lf = _log_factorials(n_total)
    counts = np.arange(n_total + 1)[None, :]
    k, left = passed[:, None], (n_total - asked)[:, None]
    rest = counts - k
    possible = (rest >= 0) & (rest <= left)
    r = np.clip(rest, 0, left)
    log_choose_all = lf[n_total] - lf[counts] - lf[n_total - counts]
    log_choose_rest = lf[left] - lf[r] - lf[left - r]
    scale = np.array([_log_beta(a + x, b + t - x) for t, x in zip(asked.tolist(),
                                                                   passed.tolist(),
                                                                   strict=True)])
    return np.where(possible, log_choose_all - log_choose_rest + scale[:, None] - _log_beta(a, b),
                    np.inf)


def _ends(log_m: NDArray[np.float64], alpha: float) -> NDArray[np.int64]:
    """[rows, 2]: first and last S with log M < log(1/alpha), per row."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    inside = log_m < math.log(1 / alpha)
    # pi_t and pi_0 both sum to 1, so pi_t >= pi_0 somewhere: no row is empty
    first = np.argmax(inside, axis=1)
    last = inside.shape[1] - 1 - np.argmax(inside[:, ::-1], axis=1)
    return np.stack([first, last], axis=1).astype(np.int64)


def count_interval(n_total: int, asked: int, passed: int, alpha: float,
                   prior: tuple[float, float] = UNIFORM_PRIOR) -> tuple[int, int]:
    """The smallest and largest full-run pass count in C_t (at level 1 - alpha)."""
    low, high = _ends(log_ppr(n_total, asked, passed, prior)[None, :], alpha)[0]
    return int(low), int(high)


def _intersect(running: tuple[int, int], new: tuple[int, int]) -> tuple[int, int]:
    low, high = max(running[0], new[0]), min(running[1], new[1])
    # empty only in the alpha-event of a miss: keep a well-defined set
    return (low, high) if low <= high else new


@dataclass
class ConfidenceSequence:
    """The running intersection of C_t for one benchmark, fed one outcome at a time
    in the order the tasks were asked."""

    n_total: int
    alpha: float
    prior: tuple[float, float] = UNIFORM_PRIOR
    asked: int = 0
    passed: int = 0
    low: int = 0
    high: int = field(init=False)

    def __post_init__(self) -> None:
        if self.n_total < 1:
            raise ValueError("a confidence sequence needs at least one task")
        self.high = self.n_total

    def update(self, passed: bool) -> tuple[int, int]:
        if self.asked >= self.n_total:
            raise ValueError(f"all {self.n_total} tasks were already asked")
        self.asked += 1
        self.passed += bool(passed)
        now = count_interval(self.n_total, self.asked, self.passed, self.alpha, self.prior)
        self.low, self.high = _intersect((self.low, self.high), now)
        return self.low, self.high

    def extend(self, outcomes: Sequence[bool]) -> tuple[int, int]:
        for passed in outcomes:
            self.update(passed)
        return self.low, self.high

    @property
    def rate_interval(self) -> tuple[float, float]:
        return self.low / self.n_total, self.high / self.n_total


def confidence_sequence(outcomes: Sequence[bool], n_total: int, alpha: float,
                        prior: tuple[float, float] = UNIFORM_PRIOR
                        ) -> NDArray[np.int64]:
    """[t, 2]: the (low, high) full-run pass count after each of the first t outcomes,
    intersected over time: `ConfidenceSequence` fed the outcomes one by one, computed
    for all of them at once (replays call this hundreds of times per run)."""
    y = np.asarray(outcomes, dtype=bool)
    if y.size > n_total:
        raise ValueError(f"{y.size} outcomes for a suite of {n_total} tasks")
    if y.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    asked = np.arange(1, y.size + 1)
    each = _ends(_log_ratios(n_total, asked, np.cumsum(y), prior), alpha)
    out = np.empty_like(each)
    running = (0, n_total)
    for t, (low, high) in enumerate(each.tolist()):
        running = _intersect(running, (low, high))
        out[t] = running
    return out


def decided_layer(box: Mapping[str, tuple[int, int]],
                  layer_of: Callable[[Mapping[str, int]], int]) -> int | None:
    """The layer if every point of the box of allowed counts gives the same one, else None.

    The box's corners are tried first (a box that straddles a layer boundary usually
    shows it there), then every point: the layer need not be monotone in a count (the
    new model's own score moves the population's mean and spread), so corners alone
    would not prove anything.
    """
    names = sorted(box)
    ranges = [range(box[n][0], box[n][1] + 1) for n in names]
    if any(len(r) == 0 for r in ranges):
        raise ValueError(f"empty count interval in {dict(box)}")
    corners = itertools.product(*[(r[0], r[-1]) for r in ranges])
    everything = itertools.product(*ranges)
    seen: int | None = None
    for point in itertools.chain(corners, everything):
        layer = layer_of(dict(zip(names, point, strict=True)))
        if seen is None:
            seen = layer
        elif layer != seen:
            return None
    return seen


@dataclass
class FullRunLayers:
    """The layer a model's *full* run would get, as a function of its pass counts.

    Placement is `benchmarks.layering.place_category` itself, on the population it
    would see (`others`: every other model's evidence, `previous` layers), with the new
    model's evidence being the full run of each count: pass rate S/N, Wilson interval on
    N tasks, its latency, and its cost per solved task (the full run's cost spread over
    S solved; unknown stays unknown). Memoised: a decision looks at many counts.
    """

    model_id: str
    category: str
    weights: Mapping[str, float]
    others: Mapping[str, Mapping[str, BenchmarkEvidence]]
    suite_sizes: Mapping[str, int]
    previous: Mapping[str, tuple[int, bool]] = field(default_factory=dict)
    latency_ms: Mapping[str, float | None] = field(default_factory=dict)
    cost_per_task_usd: Mapping[str, float | None] = field(default_factory=dict)
    fixed: Mapping[str, BenchmarkEvidence] = field(default_factory=dict)
    _memo: dict[tuple[tuple[str, int], ...], int] = field(default_factory=dict, repr=False)

    def evidence(self, benchmark: str, count: int) -> BenchmarkEvidence:
        n = self.suite_sizes[benchmark]
        low, high = wilson_interval(count, n)
        per_task = self.cost_per_task_usd.get(benchmark)
        cost = per_task * n / count if per_task is not None and count else None
        return BenchmarkEvidence(count / n, float(low), float(high),
                                 self.latency_ms.get(benchmark), cost)

    def layer(self, counts: Mapping[str, int]) -> int:
        key = tuple(sorted(counts.items()))
        if key not in self._memo:
            mine = dict(self.fixed)
            mine.update({b: self.evidence(b, c) for b, c in counts.items()})
            population = {m: e for m, e in self.others.items() if m != self.model_id}
            population[self.model_id] = mine
            decisions = place_category(self.category, population, self.weights,
                                       self.previous)
            layer = next((d.layer for d in decisions if d.model_id == self.model_id), None)
            if layer is None:
                raise ValueError(f"{self.model_id} is not placed in {self.category} with "
                                 f"{sorted(mine)}: the category compares other benchmarks")
            self._memo[key] = layer
        return self._memo[key]


def split_alpha(confidence: float, benchmarks: int) -> float:
    """Each benchmark's alpha when `benchmarks` share one decision (Bonferroni)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if benchmarks < 1:
        raise ValueError("a decision needs at least one benchmark")
    return (1 - confidence) / benchmarks
