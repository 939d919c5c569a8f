"""Deciding a model's layer before its last task (`routerx assess --adaptive`).

An adaptive run asks its tasks in a seeded random order (`task_order`: a permutation
drawn from the run key, so a rerun continues the same order) and, after every wave of
answers, asks `benchmarks.sequential` whether the layer is decided:

- the observed sequence is the longest stretch of that order whose tasks are stored
  (`observe`): a task judged by an earlier run counts where the order reaches it, a task
  never asked ends the stretch. A task whose sample is an infrastructure outcome is
  passed over and stays among the unseen tasks of the suite (the provider's or sandbox's
  failure is taken to be unrelated to whether the model would pass; a rerun asks it);
- one confidence sequence per benchmark on its full run's pass count, at alpha = (1 -
  confidence) split over the benchmarks of the category (Bonferroni);
- the population is what placement would use now (`placing.gather_evidence`: every other
  model's placed evidence and the previous layers), the model's other benchmarks as they
  stand, and its latency and cost as measured so far; the layer is placement's own
  (`sequential.FullRunLayers`).

The decision is recorded on the run's score (`BenchmarkScore.adaptive`) and the
placement's evidence: tasks asked of the suite, the confidence, the interval of the full
run's pass count, the layer. It is a statement about the population at the time of the
decision; a later run of every task replaces it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlmodel import Session, select

from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import RunInfo
from benchmarks.layering import DEFAULT_CATEGORY_WEIGHTS
from benchmarks.sequential import (
    ConfidenceSequence,
    FullRunLayers,
    decided_layer,
    split_alpha,
)
from benchmarks.verdicts import is_infrastructure
from router.errors import InputError
from router.measurement import PlacementProtocol, task_scope
from router.store import get_engine
from router.store.models import Placement, SampleResult

#: tasks asked per benchmark between two decisions (a decision may come up to this many
#: tasks after the first moment it could have been made)
ADAPTIVE_WAVE = 10
METHOD = ("confidence sequence for sampling without replacement (Waudby-Smith & Ramdas "
          "2020, prior-posterior ratio); stopped once every full-run pass count it "
          "allows gives one layer")


def task_order(run_key: str, task_ids: Sequence[str]) -> list[str]:
    """The run's seeded random order: the same for every rerun of the run."""
    ids = sorted(task_ids)
    rng = np.random.default_rng(int(run_key[:16], 16))
    return [ids[i] for i in rng.permutation(len(ids))]


@dataclass
class Observed:
    """What the stored samples say along the order."""

    outcomes: list[bool] = field(default_factory=list)  # judged tasks, in order
    reached: int = 0                 # how far along the order the stretch goes
    skipped: list[str] = field(default_factory=list)  # infrastructure outcomes in it
    latencies: list[float] = field(default_factory=list)
    costs: list[float | None] = field(default_factory=list)

    @property
    def latency_p50_ms(self) -> float | None:
        return statistics.median(self.latencies) if self.latencies else None

    @property
    def cost_per_task_usd(self) -> float | None:
        if not self.costs or any(c is None for c in self.costs):
            return None
        return sum(self.costs) / len(self.costs)  # type: ignore[arg-type]


def observe(order: Sequence[str], rows: Sequence[SampleResult]) -> Observed:
    by_task = {r.task_id: r for r in rows if r.sample_index == 0}
    out = Observed()
    for task in order:
        row = by_task.get(task)
        if row is None:
            break
        out.reached += 1
        if is_infrastructure(row.verdict):
            out.skipped.append(task)
            continue
        out.outcomes.append(bool(row.passed))
        if row.latency_ms is not None:
            out.latencies.append(row.latency_ms)
        out.costs.append(row.cost_usd)
    return out


@dataclass(frozen=True)
class Decision:
    """Where one benchmark of an adaptive run stands after the last wave."""

    benchmark: str
    tasks: int
    asked: int
    passed: int
    count_interval: tuple[int, int]
    confidence: float
    alpha: float
    layers: dict[str, int | None]  # category -> decided layer (None: not yet)
    population: int
    decided_at: str

    @property
    def decided(self) -> bool:
        return bool(self.layers) and all(v is not None for v in self.layers.values())

    def evidence(self) -> dict[str, Any]:
        """What the score and the placement record."""
        out = asdict(self)
        out["count_interval"] = list(self.count_interval)
        out["decided"] = self.decided
        out["method"] = METHOD
        out["order"] = "seeded random order (from the run key)"
        return out


def check_adaptive(params: AssessParams, protocol: PlacementProtocol) -> None:
    """An adaptive run decides a placement: one sample per task, of the placement
    protocol. InputError naming what to change otherwise."""
    from benchmarks.registry import get_benchmark

    if params.samples != 1:
        raise InputError(f"--adaptive needs one sample per task (a pass or a fail per "
                         f"task), got --samples {params.samples}")
    for name in params.benchmarks:
        bench = get_benchmark(name)
        tasks = bench.load(limit=params.limit, ids=params.task_ids)
        suite = len(bench.load()) if params.limit or params.task_ids else len(tasks)
        why = protocol.mismatch(
            scope=task_scope(params.limit, params.task_ids, len(tasks), suite),
            task_count=len(tasks), samples=params.samples, temperature=params.temperature,
            protocol_version=bench.protocol_version, current_version=bench.protocol_version)
        if why:
            raise InputError(f"--adaptive decides a placement, but this {name} run would "
                             f"not be placed: {why}")


def decide(model_id: str, runs: Sequence[RunInfo], orders: Mapping[int, Sequence[str]],
           confidence: float, protocol: PlacementProtocol,
           weights: Mapping[str, Mapping[str, float]] = DEFAULT_CATEGORY_WEIGHTS,
           database_url: str | None = None) -> dict[int, Decision]:
    """The state of each of the model's adaptive runs (run id -> Decision)."""
    from benchmarks.assessment.placing import gather_evidence
    from benchmarks.assessment.runs import run_samples

    benches = {r.benchmark: r for r in runs}
    observed = {r.run_id: observe(orders[r.run_id], run_samples(r.run_id, database_url))
                for r in runs}
    with Session(get_engine(database_url)) as s:
        evidence = gather_evidence(s, protocol)
        previous = {(p.category, p.model_id): (p.layer, p.provisional)
                    for p in s.exec(select(Placement))}
    population = evidence.for_placement()
    mine = population.pop(model_id, {})
    categories = {c: w for c, w in weights.items()
                  if any(w.get(b, 0) > 0 for b in benches)}
    alpha = {b: min(split_alpha(confidence, sum(w.get(x, 0) > 0 for x in benches))
                    for c, w in categories.items() if w.get(b, 0) > 0)
             for b in benches if any(w.get(b, 0) > 0 for w in categories.values())}

    intervals: dict[str, tuple[int, int]] = {}
    for b, run in benches.items():
        cs = ConfidenceSequence(len(run.task_ids), alpha.get(b, 1 - confidence))
        cs.extend(observed[run.run_id].outcomes)
        intervals[b] = (cs.low, cs.high)

    layers: dict[str, dict[str, int | None]] = {b: {} for b in benches}
    for category, w in categories.items():
        inside = [b for b in benches if w.get(b, 0) > 0]
        rule = FullRunLayers(
            model_id, category, w, population, {b: len(benches[b].task_ids) for b in inside},
            previous={m: v for (c, m), v in previous.items() if c == category},
            latency_ms={b: observed[benches[b].run_id].latency_p50_ms for b in inside},
            cost_per_task_usd={b: observed[benches[b].run_id].cost_per_task_usd
                               for b in inside},
            fixed={b: e for b, e in mine.items() if b not in benches})
        try:
            layer = decided_layer({b: intervals[b] for b in inside}, rule.layer)
        except ValueError:  # the category cannot place the model: ask every task
            layer = None
        for b in inside:
            layers[b][category] = layer

    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {run.run_id: Decision(
        benchmark=b, tasks=len(run.task_ids), asked=len(observed[run.run_id].outcomes),
        passed=sum(observed[run.run_id].outcomes), count_interval=intervals[b],
        confidence=confidence, alpha=round(alpha.get(b, 1 - confidence), 12), layers=layers[b],
        population=len(population) + 1, decided_at=now)
        for b, run in benches.items()}


def next_items(order: Sequence[str], observed: Observed, attempted: set[str],
               size: int = ADAPTIVE_WAVE) -> list[str]:
    """The next tasks along the order that were neither stored nor tried in this flow."""
    out = []
    for task in order[observed.reached:]:
        if task not in attempted:
            out.append(task)
        if len(out) == size:
            break
    return out
