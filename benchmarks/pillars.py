"""The four pillars of a model's measurement on one benchmark, from its stored samples.

Every figure here is computed from samples that were really generated and executed;
nothing has a default. How each is computed:

- **Accuracy**: pass@1 is the mean over tasks of c_i/n_i (the unbiased estimator of
  Chen et al. 2021 for k=1); pass@k for every k in (1, 5, 10) with k <= the smallest
  number of samples of any task. The 95% interval is Wilson's, taken over *tasks*
  (n = number of tasks, p = pass@1): repeated samples of one task are not independent
  evidence about the model, so counting them as n would make the interval too narrow.
- **Latency**: p50 and p95 of the measured wall time of each successful request
  (provider answer received), in milliseconds.
- **Cost**: cost per solved task = total cost of all requests / number of passing
  samples. Null when no sample passed, and null (unknown, not zero) when the price of
  any request was unknown.
- **Robustness** in [0, 1] = (1 - failure share) x agreement. The failure share is the
  fraction of samples that produced no usable program: the provider gave no answer
  (`no_answer`), no code could be extracted (`unparseable`), or the program ended in
  `error`, `timeout`, `crashed` or `out_of_memory`. Agreement is, over tasks with at least
  two samples, the probability that two samples of the same task agree on pass/fail:
  (C(c,2) + C(n-c,2)) / C(n,2); with one sample per task it is not defined and the
  factor is left out.

Accuracy, latency and cost place a model (`benchmarks.layering`). Robustness is
reported (scoring matrix, report, placement evidence) but deliberately not placed: every
sample in its failure share is already a failed sample in pass@1, so weighting it again
would count the same failures twice, and its agreement factor exists only with several
samples per task, which the placement protocol (one sample at temperature 0) does not draw.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmarks.stats import mean_pass_at_k, wilson_interval

FAILURE_VERDICTS = frozenset(
    {"no_answer", "unparseable", "error", "timeout", "crashed", "out_of_memory"}
)
K_VALUES = (1, 5, 10)


@dataclass(frozen=True)
class Sample:
    """What the pillars need of one stored sample."""

    task_id: str
    passed: bool
    verdict: str
    latency_ms: float | None
    cost_usd: float | None


@dataclass(frozen=True)
class Pillars:
    n_tasks: int
    n_samples: int
    pass_at_1: float
    pass_at_k: dict[str, float]
    ci_low: float
    ci_high: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost_per_solved_usd: float | None
    cost_known: bool
    failure_share: float
    agreement: float | None
    robustness: float
    verdicts: dict[str, int] = field(default_factory=dict)


def agreement(passes: np.ndarray, totals: np.ndarray) -> float | None:
    """Mean probability that two samples of one task agree (tasks with n >= 2 only)."""
    mask = totals >= 2
    if not mask.any():
        return None
    c, n = passes[mask].astype(float), totals[mask].astype(float)
    same = (c * (c - 1) + (n - c) * (n - c - 1)) / (n * (n - 1))
    return float(same.mean())


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def compute_pillars(samples: Iterable[Sample]) -> Pillars:
    samples = list(samples)
    if not samples:
        raise ValueError("no samples: nothing was measured, so there is nothing to score")
    by_task: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_task[s.task_id].append(s)
    totals = np.array([len(v) for v in by_task.values()])
    passes = np.array([sum(x.passed for x in v) for v in by_task.values()])
    n_tasks = len(by_task)

    p1 = float(np.mean(passes / totals))
    at_k = {str(k): v for k, v in mean_pass_at_k(totals, passes, K_VALUES).items()}
    lo, hi = wilson_interval(p1 * n_tasks, n_tasks)

    latencies = [s.latency_ms for s in samples if s.latency_ms is not None]
    costs = [s.cost_usd for s in samples]
    cost_known = all(c is not None for c in costs)
    solved = int(passes.sum())
    cost_per_solved = (sum(costs) / solved) if cost_known and solved else None  # type: ignore[arg-type]

    verdicts = Counter(s.verdict for s in samples)
    failure = sum(verdicts.get(v, 0) for v in FAILURE_VERDICTS) / len(samples)
    agree = agreement(passes, totals)
    robustness = (1.0 - failure) * (agree if agree is not None else 1.0)
    return Pillars(
        n_tasks=n_tasks, n_samples=len(samples), pass_at_1=p1, pass_at_k=at_k,
        ci_low=float(lo), ci_high=float(hi),
        latency_p50_ms=percentile(latencies, 50), latency_p95_ms=percentile(latencies, 95),
        cost_per_solved_usd=cost_per_solved, cost_known=cost_known,
        failure_share=failure, agreement=agree, robustness=robustness, verdicts=dict(verdicts),
    )
