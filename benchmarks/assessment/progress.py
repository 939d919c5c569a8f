"""Progress of running assessments, read from the store.

Why from the store: the CLI's progress bars then work the same whether the flow runs in
this process, in a worker, or on another machine sharing the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from router.store import get_engine
from router.store.models import BenchmarkRun, SampleResult


def progress(model_ids: Sequence[str], benchmarks: Sequence[str], since_run_id: int = 0,
             database_url: str | None = None) -> dict[tuple[str, str], tuple[int, int]]:
    """(model, benchmark) -> (samples stored, samples planned) for runs after `since_run_id`
    or still running."""
    with Session(get_engine(database_url)) as s:
        runs = s.exec(select(BenchmarkRun).where(
            col(BenchmarkRun.model_id).in_(list(model_ids)),
            col(BenchmarkRun.benchmark).in_(list(benchmarks)))
            .order_by(col(BenchmarkRun.id))).all()
        latest = {(r.model_id, r.benchmark): r for r in runs}
        counts = dict(s.exec(select(SampleResult.run_id, func.count())
                             .where(col(SampleResult.run_id).in_([r.id for r in latest.values()]))
                             .group_by(col(SampleResult.run_id))).all())
    out = {}
    for key, run in latest.items():
        planned = int((run.subset or {}).get("n_tasks", 0)) * run.samples_per_task
        out[key] = (int(counts.get(run.id, 0)) if run.id is not None else 0, planned)
    return out


def last_run_id(database_url: str | None = None) -> int:
    with Session(get_engine(database_url)) as s:
        return int(s.exec(select(func.max(BenchmarkRun.id))).one() or 0)
