"""Runs with hand-chosen outcomes, written straight to the store (no provider, no sandbox)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session, select

from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import RunInfo, open_run
from benchmarks.assessment.scores import RunOutcome, conclude_run
from router.store import get_engine
from router.store.models import Model, ModelStatus, Placement, SampleResult

Verdict = Callable[[int, str], str]  # (task position, task id) -> verdict


def add_models(url: str, *ids: str, status: str = ModelStatus.ASSESSING,
               kind: str = "chat") -> None:
    now = datetime.now(UTC)
    with Session(get_engine(url)) as s:
        for mid in ids:
            p, n = mid.split("/", 1)
            s.add(Model(id=mid, provider=p, name=n, status=status, kind=kind,
                        can_chat=kind == "chat", first_seen=now, last_seen=now))
        s.commit()


def passing_first(k: int) -> Verdict:
    """The first k tasks pass, the rest fail."""
    return lambda i, _task: "passed" if i < k else "failed"


def store_run(url: str, model: str, verdict: Verdict | None, *, limit: int | None = None,
              seed: int = 0, benchmark: str = "humaneval",
              failed: str | None = None) -> tuple[RunInfo, RunOutcome]:
    """Open a run, store one sample per task with `verdict` (None: none), conclude it."""
    params = AssessParams(benchmarks=[benchmark], limit=limit, seed=seed)
    run = open_run(model, benchmark, params, database_url=url)
    with Session(get_engine(url)) as s:
        for i, task in enumerate(run.task_ids if verdict else ()):
            v = verdict(i, task)  # type: ignore[misc]
            s.add(SampleResult(run_id=run.run_id, task_id=task, sample_index=0,
                               prompt_hash="h", passed=v == "passed", verdict=v,
                               detail=None if v in ("passed", "failed") else f"{v} (test)",
                               latency_ms=100.0 + i % 7, tokens_in=10, tokens_out=5,
                               cost_usd=0.001))
        s.commit()
    return run, conclude_run(run, failed, database_url=url)


def placements(url: str, category: str = "code-generation") -> dict[str, tuple]:
    """model -> (layer, rank score, stale, stale reason)."""
    with Session(get_engine(url)) as s:
        rows = s.exec(select(Placement).where(Placement.category == category)).all()
        return {p.model_id: (p.layer, p.rank_score, p.stale, p.stale_reason) for p in rows}


def layers_and_scores(url: str, category: str = "code-generation") -> dict[str, tuple]:
    return {m: v[:2] for m, v in placements(url, category).items()}
