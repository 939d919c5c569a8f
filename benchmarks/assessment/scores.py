"""Turn a run's stored samples into a benchmark score, and z-score like with like.

Only the model's own outcomes are scored: infrastructure outcomes (benchmarks/verdicts.py:
the provider gave up after its retries, the sandbox or the environment failed, the
instance cannot run here) are counted and left out of pass@k, robustness and placement.
A run with more than `MAX_INFRA_SHARE` of them says too little about the model: it is
`incomplete` and not scored, so it can neither create nor replace a score.

A score is keyed by everything that shapes it (router.measurement): a smoke run gets its
own score beside the full one instead of replacing it, and z-scores are computed only
among scores of one key.

A run stopped by a budget before every sample is `incomplete` with the budget's reason
and not scored. An adaptive run stopped once its layer was decided is `decided` and
scored on the tasks it asked, with the decision on the score (`adaptive`); it never
replaces a score of every task, and a score of every task clears it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlmodel import Session, select

from benchmarks.assessment.runs import RunInfo, finish_run, run_samples
from benchmarks.pillars import Pillars, Sample, compute_pillars
from benchmarks.stats import zscores
from benchmarks.verdicts import MAX_INFRA_SHARE, is_infrastructure
from router.store import get_engine
from router.store.models import BenchmarkRun, BenchmarkScore, RunStatus, SampleResult


@dataclass(frozen=True)
class RunOutcome:
    status: RunStatus
    reason: str | None = None
    pillars: Pillars | None = None


def infra_reason(rows: Sequence[SampleResult], planned: int) -> str | None:
    """Why a run cannot be scored (too many infrastructure outcomes), or None."""
    infra = Counter(r.verdict for r in rows if is_infrastructure(r.verdict))
    missing = max(0, planned - len(rows))
    if missing:
        infra["not attempted"] = missing
    lost = sum(infra.values())
    if planned == 0 or lost == 0:
        return None
    share = lost / planned
    if share <= MAX_INFRA_SHARE:
        return None
    detail = ", ".join(f"{n} {verdict}" for verdict, n in sorted(infra.items()))
    first = next((r.detail for r in rows if is_infrastructure(r.verdict) and r.detail), None)
    return (f"{lost} of {planned} samples ({share:.1%}) are infrastructure outcomes "
            f"({detail}), more than {MAX_INFRA_SHARE:.0%}: not scored"
            + (f"; first: {first}" if first else ""))


def conclude_run(run: RunInfo, failed_reason: str | None = None,
                 database_url: str | None = None, *, stopped: str | None = None,
                 decision: dict[str, Any] | None = None) -> RunOutcome:
    """End a run: `failed` with the reason, `incomplete`, `decided` (an adaptive run
    stopped early, scored as adaptive evidence) or scored and `completed`.

    `stopped` is why the assessment stopped asking before every sample (a budget): with
    samples missing the run is `incomplete` with that reason. `decision` is an adaptive
    run's decision (`decide.Decision.evidence()`): decided with samples left, the run is
    `decided`. A run whose every sample was judged is a full run whatever asked it.
    """
    if failed_reason:
        finish_run(run.run_id, RunStatus.FAILED, failed_reason, database_url)
        return RunOutcome(RunStatus.FAILED, failed_reason)
    rows = run_samples(run.run_id, database_url)
    planned = len(run.task_ids) * run.samples
    try:
        judged = sum(not is_infrastructure(r.verdict) for r in rows)
        early = judged < planned
        if early and decision is not None and decision.get("decided"):
            reason = infra_reason(rows, len(rows))
            if reason:
                finish_run(run.run_id, RunStatus.INCOMPLETE, reason, database_url)
                return RunOutcome(RunStatus.INCOMPLETE, reason)
            if full_score_stands(run, database_url):
                pillars = None
                note = "; not scored: a score of every task of the same measurement stands"
            else:
                pillars, note = score_run(run, database_url, rows=rows, adaptive=decision), ""
            why = _decided_text(decision) + note
            finish_run(run.run_id, RunStatus.DECIDED, why, database_url)
            return RunOutcome(RunStatus.DECIDED, why, pillars)
        if early and stopped:
            finish_run(run.run_id, RunStatus.INCOMPLETE, stopped, database_url)
            return RunOutcome(RunStatus.INCOMPLETE, stopped)
        reason = infra_reason(rows, planned)
        if reason:
            finish_run(run.run_id, RunStatus.INCOMPLETE, reason, database_url)
            return RunOutcome(RunStatus.INCOMPLETE, reason)
        pillars = score_run(run, database_url, rows=rows)
    except ValueError as exc:  # a verdict outside benchmarks/verdicts.py: never scored
        finish_run(run.run_id, RunStatus.FAILED, str(exc), database_url)
        return RunOutcome(RunStatus.FAILED, str(exc))
    finish_run(run.run_id, RunStatus.COMPLETED, None, database_url)
    return RunOutcome(RunStatus.COMPLETED, None, pillars)


def _decided_text(decision: dict[str, Any]) -> str:
    layers = ", ".join(f"{c} layer {v}" for c, v in decision["layers"].items())
    return (f"adaptive: {layers} decided at {decision['confidence']:.0%} after "
            f"{decision['asked']} of {decision['tasks']} tasks")


def _key(run: RunInfo, source: BenchmarkRun) -> dict[str, Any]:
    return {"model_id": run.model_id, "benchmark": run.benchmark,
            "protocol_version": run.protocol_version, "task_set": source.task_set,
            "task_count": source.task_count, "samples_per_task": source.samples_per_task,
            "temperature": source.temperature}


def full_score_stands(run: RunInfo, database_url: str | None = None) -> bool:
    """True when the run's measurement already has a score of every task, which an
    adaptive run's score must not replace (evidence of all tasks beats a decision)."""
    with Session(get_engine(database_url)) as s:
        source = s.get(BenchmarkRun, run.run_id)
        if source is None:
            return False
        score = s.exec(select(BenchmarkScore).filter_by(**_key(run, source))).first()
        return score is not None and score.adaptive is None and score.run_id != run.run_id


def score_run(run: RunInfo, database_url: str | None = None, *,
              rows: Sequence[SampleResult] | None = None,
              adaptive: dict[str, Any] | None = None) -> Pillars:
    """Compute the pillars of a run's model outcomes and store them under its key.

    `adaptive`: the decision of an adaptive run that stopped early (recorded on the
    score); a score of every task clears it.
    """
    rows = run_samples(run.run_id, database_url) if rows is None else rows
    measured = [r for r in rows if not is_infrastructure(r.verdict)]
    pillars = compute_pillars(
        Sample(r.task_id, r.passed, r.verdict, r.latency_ms, r.cost_usd) for r in measured
    )
    with Session(get_engine(database_url)) as s:
        source = s.get(BenchmarkRun, run.run_id)
        if source is None:
            raise LookupError(f"benchmark run {run.run_id} is not in the store")
        key = _key(run, source)
        score = s.exec(select(BenchmarkScore).filter_by(**key)).first()
        score = score or BenchmarkScore(**key, n_tasks=0, n_samples=0, pass_at_1=0.0,
                                        ci_low=0.0, ci_high=0.0)
        score.task_scope = source.task_scope
        score.run_id = run.run_id
        score.n_tasks, score.n_samples = pillars.n_tasks, pillars.n_samples
        score.pass_at_1, score.pass_at_k = pillars.pass_at_1, pillars.pass_at_k
        score.ci_low, score.ci_high = pillars.ci_low, pillars.ci_high
        score.latency_p50_ms, score.latency_p95_ms = pillars.latency_p50_ms, pillars.latency_p95_ms
        score.cost_per_solved_usd = pillars.cost_per_solved_usd
        score.robustness, score.error_rate = pillars.robustness, pillars.failure_share
        score.infra_samples = len(rows) - len(measured)
        score.verdicts = dict(Counter(r.verdict for r in rows))
        score.adaptive = adaptive
        score.computed_at = datetime.now(UTC)
        s.add(score)
        s.commit()
        group = {k: v for k, v in key.items() if k != "model_id"}
    update_zscores(group, database_url)
    return pillars


def update_zscores(group: dict[str, object], database_url: str | None = None) -> None:
    """z of pass@1 among the scores of one measurement key; None below three models."""
    with Session(get_engine(database_url)) as s:
        scores = list(s.exec(select(BenchmarkScore).filter_by(**group)))
        z = zscores(np.array([x.pass_at_1 for x in scores]))
        for score, value in zip(scores, z, strict=True):
            score.z_score = None if np.isnan(value) else float(value)
            s.add(score)
        s.commit()
