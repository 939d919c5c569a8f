"""Turn a run's stored samples into a benchmark score, and z-score the population."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlmodel import Session, select

from benchmarks.assessment.runs import RunInfo, run_samples
from benchmarks.pillars import Pillars, Sample, compute_pillars
from benchmarks.stats import zscores
from router.store import get_engine
from router.store.models import BenchmarkScore


def score_run(run: RunInfo, database_url: str | None = None) -> Pillars:
    """Compute the pillars of a run and store them as the model's score."""
    rows = run_samples(run.run_id, database_url)
    pillars = compute_pillars(
        Sample(r.task_id, r.passed, r.verdict, r.latency_ms, r.cost_usd) for r in rows
    )
    with Session(get_engine(database_url)) as s:
        score = s.exec(select(BenchmarkScore).where(
            BenchmarkScore.model_id == run.model_id, BenchmarkScore.benchmark == run.benchmark,
            BenchmarkScore.protocol_version == run.protocol_version)).first()
        score = score or BenchmarkScore(
            model_id=run.model_id, benchmark=run.benchmark,
            protocol_version=run.protocol_version, n_tasks=0, n_samples=0, pass_at_1=0.0,
            ci_low=0.0, ci_high=0.0)
        score.run_id = run.run_id
        score.n_tasks, score.n_samples = pillars.n_tasks, pillars.n_samples
        score.pass_at_1, score.pass_at_k = pillars.pass_at_1, pillars.pass_at_k
        score.ci_low, score.ci_high = pillars.ci_low, pillars.ci_high
        score.latency_p50_ms, score.latency_p95_ms = pillars.latency_p50_ms, pillars.latency_p95_ms
        score.cost_per_solved_usd = pillars.cost_per_solved_usd
        score.robustness, score.error_rate = pillars.robustness, pillars.failure_share
        score.computed_at = datetime.now(UTC)
        s.add(score)
        s.commit()
    update_zscores(run.benchmark, run.protocol_version, database_url)
    return pillars


def update_zscores(benchmark: str, protocol_version: str, database_url: str | None = None) -> None:
    """z of pass@1 within one benchmark and protocol; None below three models."""
    with Session(get_engine(database_url)) as s:
        scores = list(s.exec(select(BenchmarkScore).where(
            BenchmarkScore.benchmark == benchmark,
            BenchmarkScore.protocol_version == protocol_version)))
        z = zscores(np.array([x.pass_at_1 for x in scores]))
        for score, value in zip(scores, z, strict=True):
            score.z_score = None if np.isnan(value) else float(value)
            s.add(score)
        s.commit()
