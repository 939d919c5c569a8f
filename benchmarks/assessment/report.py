"""What an assessment reports: the `routerx assess --json` object and artifact rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from router.store import get_engine
from router.store.models import BenchmarkScore, Model, Placement


def assessment_summary(model_ids: Sequence[str], benchmarks: Sequence[str],
                       database_url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with Session(get_engine(database_url)) as s:
        for model_id in model_ids:
            model = s.get(Model, model_id)
            scores = s.exec(select(BenchmarkScore).where(
                BenchmarkScore.model_id == model_id,
                col(BenchmarkScore.benchmark).in_(list(benchmarks)))
                .order_by(col(BenchmarkScore.computed_at))).all()
            places = s.exec(select(Placement).where(Placement.model_id == model_id)).all()
            out[model_id] = {
                "status": model.status if model else "unknown",
                "reason": model.status_reason if model and model.status == "failed" else None,
                "benchmarks": {sc.benchmark: {
                    "pass_at_1": sc.pass_at_1, "pass_at_k": sc.pass_at_k,
                    "ci": [sc.ci_low, sc.ci_high], "n": sc.n_tasks, "samples": sc.n_samples,
                    "z": sc.z_score, "latency_p50_ms": sc.latency_p50_ms,
                    "latency_p95_ms": sc.latency_p95_ms,
                    "cost_per_solved_usd": sc.cost_per_solved_usd,
                    "cost_known": sc.cost_per_solved_usd is not None or sc.pass_at_1 == 0,
                    "robustness": sc.robustness, "protocol": sc.protocol_version,
                } for sc in scores},
                "placements": {p.category: p.layer for p in places},
            }
    return {"models": out}


def placement_rows(database_url: str | None = None) -> list[dict[str, Any]]:
    with Session(get_engine(database_url)) as s:
        rows = s.exec(select(Placement).order_by(
            col(Placement.category), col(Placement.layer), col(Placement.rank_score).desc())).all()
        return [{"category": p.category, "model": p.model_id, "layer": p.layer,
                 "score": round(p.rank_score, 4), "provisional": p.provisional,
                 "pass_rate": None if p.pass_rate is None else round(p.pass_rate, 4)}
                for p in rows]
