"""Stored benchmark scores as the CLI, the report and the exports show them.

Every score says what it measured (task scope and count, samples, temperature,
protocol) and whether it places its model; a smoke run's score is shown with the reason
it is not placed, never mixed into the placed ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from router.store.models import BenchmarkScore


def describe(score: BenchmarkScore) -> str:
    """`humaneval 0.915 (all 164 tasks, 1 sample, t=0)`: one line for a table cell."""
    samples = f"{score.samples_per_task} sample{'s' if score.samples_per_task != 1 else ''}"
    return (f"{score.benchmark} {score.pass_at_1:.3f} ({score.task_scope}, "
            f"{score.task_count} tasks, "
            f"{samples}, t={score.temperature:g})")


def score_dict(score: BenchmarkScore) -> dict[str, Any]:
    return {
        "benchmark": score.benchmark, "protocol": score.protocol_version,
        "task_scope": score.task_scope, "tasks": score.task_count,
        "samples_per_task": score.samples_per_task, "temperature": score.temperature,
        "pass_at_1": score.pass_at_1, "ci": [score.ci_low, score.ci_high],
        "n_tasks_scored": score.n_tasks, "infra_samples": score.infra_samples,
        "z": score.z_score, "placed": score.placed,
        "not_placed_reason": score.not_placed_reason,
        "computed_at": score.computed_at.isoformat(),
    }


def scores_by_model(session: Session, model_ids: Iterable[str] | None = None
                    ) -> dict[str, list[BenchmarkScore]]:
    """Each model's scores: placed first, then newest first."""
    query = select(BenchmarkScore)
    if model_ids is not None:
        query = query.where(col(BenchmarkScore.model_id).in_(list(model_ids)))
    rows = session.exec(query).all()
    out: dict[str, list[BenchmarkScore]] = {}
    for s in sorted(rows, key=lambda s: (not s.placed, s.benchmark, -s.computed_at.timestamp(),
                                         -(s.id or 0))):
        out.setdefault(s.model_id, []).append(s)
    return out


def unplaced_scores(session: Session) -> list[BenchmarkScore]:
    """Scores that place nothing (smoke runs, other protocols...), newest first."""
    return list(session.exec(select(BenchmarkScore).where(col(BenchmarkScore.placed).is_(False))
                             .order_by(col(BenchmarkScore.computed_at).desc(),
                                       col(BenchmarkScore.id).desc())))
