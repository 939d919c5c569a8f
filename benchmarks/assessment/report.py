"""What an assessment reports: the `routerx assess --json` object and artifact rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from benchmarks.assessment.placing import SCORED
from benchmarks.verdicts import INFRA_STATUSES
from router.store import get_engine
from router.store.models import (
    BenchmarkRun,
    BenchmarkScore,
    Model,
    Placement,
    RunStatus,
    SampleResult,
)


def _run(r: BenchmarkRun, spend: tuple[int, int, float | None],
         full_cost: float | None) -> dict[str, Any]:
    asked, judged, spent = spend
    planned = r.task_count * r.samples_per_task
    return {"run": r.id, "status": r.status, "reason": r.error, "tasks": r.task_count,
            "task_scope": r.task_scope, "planned": planned, "asked": asked,
            "judged": judged, "not_asked": max(0, planned - asked), "spent_usd": spent,
            "full_run_estimate_usd": full_cost}


def _score(sc: BenchmarkScore) -> dict[str, Any]:
    return {
        "pass_at_1": sc.pass_at_1, "pass_at_k": sc.pass_at_k,
        "ci": [sc.ci_low, sc.ci_high], "n": sc.n_tasks, "samples": sc.n_samples,
        "z": sc.z_score, "latency_p50_ms": sc.latency_p50_ms,
        "latency_p95_ms": sc.latency_p95_ms,
        "cost_per_solved_usd": sc.cost_per_solved_usd,
        "cost_known": sc.cost_per_solved_usd is not None or sc.pass_at_1 == 0,
        "robustness": sc.robustness, "protocol": sc.protocol_version,
        "tasks": sc.task_count, "task_scope": sc.task_scope,
        "samples_per_task": sc.samples_per_task, "temperature": sc.temperature,
        "infra_samples": sc.infra_samples, "placed": sc.placed,
        "not_placed_reason": sc.not_placed_reason, "adaptive": sc.adaptive,
    }


def _spend(runs: Sequence[BenchmarkRun], database_url: str | None
           ) -> dict[int | None, tuple[int, int, float | None]]:
    """run id -> (samples asked, samples judged, cost spent; None if any is unknown)."""
    if not runs:
        return {}
    with Session(get_engine(database_url)) as s:
        rows = s.exec(select(SampleResult.run_id, SampleResult.verdict, SampleResult.cost_usd)
                      .where(col(SampleResult.run_id).in_([r.id for r in runs]))).all()
    out: dict[int | None, tuple[int, int, float | None]] = {r.id: (0, 0, 0.0) for r in runs}
    for run_id, verdict, cost in rows:
        asked, judged, spent = out[run_id]
        out[run_id] = (asked + 1, judged + (verdict not in INFRA_STATUSES),
                       None if spent is None or cost is None else spent + cost)
    return out


def assessment_summary(model_ids: Sequence[str], benchmarks: Sequence[str],
                       run_ids: Sequence[int] = (), database_url: str | None = None,
                       full_costs: Mapping[str, float | None] | None = None
                       ) -> dict[str, Any]:
    """Per model: catalogue status, this assessment's runs and their scores, placements.

    `outcome` is the worst of this assessment's runs (`completed`, `decided`,
    `incomplete`, `failed`; `decided` is an adaptive run stopped once its layer was known,
    a success); `placements` are the model's placements now, stale ones with the reason.
    Each run says how many samples it asked of those planned, what they cost, and (from
    `full_costs`, "model benchmark" -> the dry run's estimate of every sample) what the
    whole run was expected to cost.
    """
    out: dict[str, Any] = {}
    order: dict[str, int] = {RunStatus.COMPLETED: 0, RunStatus.DECIDED: 1,
                             RunStatus.RUNNING: 2, RunStatus.INCOMPLETE: 3,
                             RunStatus.FAILED: 4}
    full_costs = full_costs or {}
    with Session(get_engine(database_url)) as s:
        runs = s.exec(select(BenchmarkRun).where(col(BenchmarkRun.id).in_(list(run_ids)))
                      .order_by(col(BenchmarkRun.id))).all()
        scored = {sc.run_id: sc for sc in s.exec(select(BenchmarkScore).where(
            col(BenchmarkScore.run_id).in_(list(run_ids))))}
        for model_id in model_ids:
            model = s.get(Model, model_id)
            mine = [r for r in runs if r.model_id == model_id and r.benchmark in benchmarks]
            worst = max((r.status for r in mine), key=lambda st: order.get(st, 2),
                        default=RunStatus.COMPLETED)
            places = s.exec(select(Placement).where(Placement.model_id == model_id)).all()
            spend = _spend(mine, database_url)
            out[model_id] = {
                "status": model.status if model else "unknown",
                "outcome": str(worst),
                "reason": model.status_reason if model and worst not in SCORED else None,
                "runs": {r.benchmark: _run(r, spend[r.id], full_costs.get(f"{model_id} "
                                                                          f"{r.benchmark}"))
                         for r in mine},
                "benchmarks": {r.benchmark: _score(scored[r.id]) for r in mine
                               if r.status in SCORED and r.id in scored},
                "placements": {p.category: p.layer for p in places},
                "stale": {p.category: p.stale_reason for p in places if p.stale},
            }
    return {"models": out}


def placement_rows(database_url: str | None = None) -> list[dict[str, Any]]:
    with Session(get_engine(database_url)) as s:
        rows = s.exec(select(Placement).order_by(
            col(Placement.category), col(Placement.layer), col(Placement.rank_score).desc())).all()
        return [{"category": p.category, "model": p.model_id, "layer": p.layer,
                 "score": round(p.rank_score, 4), "provisional": p.provisional,
                 "pass_rate": None if p.pass_rate is None else round(p.pass_rate, 4),
                 "stale": p.stale_reason if p.stale else ""}
                for p in rows]
