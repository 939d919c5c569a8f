"""Asking in waves: what a budget and the adaptive rule let an assessment ask next.

Without `--budget-usd` or `--adaptive` the flow asks every sample at once. With either,
it asks in waves and plans each wave from the store (so the plan is the same whatever
worker ran the last one):

- **adaptive**: each benchmark's next ADAPTIVE_WAVE tasks along the run's seeded order,
  until `decide.decide` finds the layer decided (the run then stops, `decided`);
- **budget** (per model, over this assessment's runs, reruns included): a request is
  admitted only while the model's spent cost (measured usage; a sample whose provider
  reported none counts at its estimated cost) plus the expected cost of the requests
  admitted to the wave (in flight) plus its own stays within the budget. Expected costs
  come from `estimate.estimate_benchmark`, which uses the model's measured usage once
  there is any; so a model's first wave on a benchmark is at most one shard, and later
  waves are priced from what the first cost. When the next request does not fit, the
  model's runs stop `incomplete`, the reason says how much was spent, and a rerun with a
  larger budget continues them (the samples are unique per run, task and sample).

The spend can pass the budget only by how far the last wave's answers outgrow their
estimate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.assessment.decide import decide, next_items, observe, task_order
from benchmarks.assessment.estimate import BenchmarkEstimate, estimate_benchmark, measured_usage
from benchmarks.assessment.params import AssessParams, StoppingRules
from benchmarks.assessment.runs import RunInfo, WorkItem, run_samples, work_items
from benchmarks.verdicts import is_infrastructure
from router.measurement import PlacementProtocol
from router.pricing import PriceBook

Attempt = tuple[int, str, int]  # (run id, task id, sample index) asked in this flow run


@dataclass
class Wave:
    items: dict[int, list[WorkItem]] = field(default_factory=dict)  # run id -> ask now
    #: run id -> why it asks no more though samples are left (a budget)
    stopped: dict[int, str] = field(default_factory=dict)
    #: run id -> where its adaptive decision stands (`decided` true: it asks no more)
    decisions: dict[int, dict[str, Any]] = field(default_factory=dict)
    spent_usd: dict[str, float] = field(default_factory=dict)  # model -> spent so far

    @property
    def empty(self) -> bool:
        return not any(self.items.values())


def run_key(run: RunInfo, params: AssessParams) -> str:
    return params.run_key(run.model_id, run.benchmark, run.protocol_version)


def plan_wave(runs: Sequence[RunInfo], params: AssessParams, stopping: StoppingRules,
              attempted: Iterable[Attempt], book: PriceBook, protocol: PlacementProtocol,
              failed: Iterable[int] = (), database_url: str | None = None) -> Wave:
    tried: dict[int, set[WorkItem]] = defaultdict(set)
    for run_id, task, index in attempted:
        tried[run_id].add((task, index))
    dead = set(failed)
    by_model: dict[str, list[RunInfo]] = defaultdict(list)
    for run in runs:
        if run.run_id not in dead:
            by_model[run.model_id].append(run)
    wave = Wave()
    for model_id, mine in by_model.items():
        candidates = _candidates(model_id, mine, params, stopping, tried, protocol, wave,
                                 database_url)
        if stopping.budget_usd is not None:
            candidates = _within_budget(model_id, mine, candidates, params, stopping.budget_usd,
                                        book, wave, database_url)
        wave.items.update({r: items for r, items in candidates.items() if items})
    return wave


def _candidates(model_id: str, runs: list[RunInfo], params: AssessParams,
                stopping: StoppingRules, tried: dict[int, set[WorkItem]],
                protocol: PlacementProtocol, wave: Wave, database_url: str | None
                ) -> dict[int, list[WorkItem]]:
    out: dict[int, list[WorkItem]] = {}
    if not stopping.adaptive:
        for run in runs:
            judged = {(r.task_id, r.sample_index) for r in run_samples(run.run_id, database_url)
                      if not is_infrastructure(r.verdict)}
            out[run.run_id] = [it for it in work_items(run, params.samples)
                               if it not in judged and it not in tried[run.run_id]]
        return out
    orders = {r.run_id: task_order(run_key(r, params), r.task_ids) for r in runs}
    decisions = decide(model_id, runs, orders, stopping.confidence, protocol,
                       database_url=database_url)
    for run in runs:
        decision = decisions[run.run_id]
        wave.decisions[run.run_id] = decision.evidence()
        if decision.decided:
            continue  # nothing more to ask: the run ends `decided`
        seen = observe(orders[run.run_id], run_samples(run.run_id, database_url))
        tasks = next_items(orders[run.run_id], seen, {t for t, _ in tried[run.run_id]})
        out[run.run_id] = [(t, 0) for t in tasks]
    return out


def _within_budget(model_id: str, runs: list[RunInfo],
                   candidates: dict[int, list[WorkItem]], params: AssessParams,
                   budget: float, book: PriceBook, wave: Wave, database_url: str | None
                   ) -> dict[int, list[WorkItem]]:
    waiting = {r: items for r, items in candidates.items() if items}
    if not waiting:
        return candidates
    info = {r.run_id: r for r in runs}
    estimates: dict[int, BenchmarkEstimate] = {
        r.run_id: estimate_benchmark(model_id, r.benchmark, params, book, database_url)
        for r in runs}
    if book.price(model_id) is None:
        why = (f"budget ${budget:g} cannot be kept: the price of {model_id} is "
               f"{book.price_source(model_id)}")
        wave.stopped.update(dict.fromkeys(waiting, why))
        return {}
    unpriced = {r: estimates[r].input_basis for r in waiting if estimates[r].cost_usd is None}
    for run_id, why in unpriced.items():  # e.g. a prompt that cannot be built to count
        wave.stopped[run_id] = f"budget ${budget:g} cannot be kept: input tokens {why}"
        del waiting[run_id]
    spent = 0.0
    for run in runs:
        rows = run_samples(run.run_id, database_url)
        fallback = _mean(estimates[run.run_id].per_request_usd.values())
        spent += sum(r.cost_usd if r.cost_usd is not None else fallback for r in rows)
    wave.spent_usd[model_id] = spent

    queues: dict[int, list[WorkItem]] = {}
    for run_id, items in waiting.items():
        first_wave = measured_usage(model_id, info[run_id].benchmark, database_url)[0] == 0
        queues[run_id] = items[:params.shard_size] if first_wave else list(items)
    admitted: dict[int, list[WorkItem]] = defaultdict(list)
    in_flight = 0.0
    blocked: dict[int, float] = {}
    while queues:  # round robin, so one benchmark does not take the whole budget
        for run_id in list(queues):
            task, index = queues[run_id][0]
            cost = estimates[run_id].per_request_usd.get(f"{task}#{index}", 0.0)
            if spent + in_flight + cost > budget:
                blocked[run_id] = cost
                del queues[run_id]
                continue
            in_flight += cost
            admitted[run_id].append(queues[run_id].pop(0))
            if not queues[run_id]:
                del queues[run_id]
    for run_id, cost in blocked.items():
        if admitted.get(run_id):
            continue  # it asks this wave; the next plan decides again
        run = info[run_id]
        judged = sum(1 for r in run_samples(run_id, database_url)
                     if not is_infrastructure(r.verdict))
        wave.stopped[run_id] = (
            f"budget ${budget:g} reached: ${spent:.4f} spent on {model_id}, the next request "
            f"would cost about ${cost:.4f}; {judged} of {len(run.task_ids) * run.samples} "
            "samples judged. Rerun with a larger --budget-usd to continue (stored samples "
            "are kept and not asked again)")
    return dict(admitted)


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals) if vals else 0.0
