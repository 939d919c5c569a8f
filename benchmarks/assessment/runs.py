"""Benchmark runs and their samples in the store: opening, resuming, recording.

Why a run key: rerunning an interrupted assessment with the same parameters must find
the same run and skip what is done. The unique (run, task, sample) constraint makes a
sample impossible to store twice, even when two workers race on it. A sample whose
outcome was routerx's own failure (an infrastructure verdict: the provider gave up, the
sandbox would not start) is not done: a rerun asks for it again and replaces it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from benchmarks.assessment.params import AssessParams
from benchmarks.verdicts import INFRA_STATUSES
from router.errors import InputError
from router.measurement import task_scope, task_set_hash
from router.store import get_engine, rows_changed
from router.store.models import (
    BenchmarkRun,
    BenchmarkScore,
    Model,
    ModelStatus,
    RunStatus,
    SampleResult,
)


@dataclass(frozen=True)
class RunInfo:
    run_id: int
    model_id: str
    benchmark: str
    protocol_version: str
    task_ids: tuple[str, ...]
    samples: int = 1


WorkItem = tuple[str, int]  # (task_id, sample_index)


def open_run(model_id: str, benchmark: str, params: AssessParams,
             flow_run_id: str | None = None, database_url: str | None = None) -> RunInfo:
    """The run for these parameters: created, or found again to resume."""
    from benchmarks.registry import get_benchmark

    bench = get_benchmark(benchmark)
    tasks = bench.load(limit=params.limit, ids=params.task_ids)
    if not tasks:
        raise InputError(f"{benchmark}: no task matches the requested ids/limit")
    ids = [t.task_id for t in tasks]
    suite_size = len(bench.load()) if params.limit or params.task_ids else len(tasks)
    measured: dict[str, Any] = {
        "task_set": task_set_hash(ids), "task_count": len(ids),
        "task_scope": task_scope(params.limit, params.task_ids, len(ids), suite_size)}
    key = params.run_key(model_id, benchmark, bench.protocol_version)
    engine = get_engine(database_url)
    for _ in range(2):
        with Session(engine, expire_on_commit=False) as s:
            run = s.exec(select(BenchmarkRun).where(BenchmarkRun.run_key == key)).first()
            if run is None:
                run = BenchmarkRun(
                    run_key=key, model_id=model_id, benchmark=benchmark,
                    subset={"limit": params.limit, "task_ids": params.task_ids,
                            "n_tasks": len(tasks), "suite_tasks": suite_size},
                    **measured,
                    samples_per_task=params.samples, temperature=params.temperature,
                    seed=params.seed, protocol_version=bench.protocol_version,
                    flow_run_id=flow_run_id,
                )
            else:
                run.status, run.finished_at, run.error = RunStatus.RUNNING, None, None
                run.flow_run_id = flow_run_id or run.flow_run_id
            s.add(run)
            try:
                s.commit()
            except IntegrityError:  # another worker opened it a moment ago: read theirs
                s.rollback()
                continue
            return RunInfo(run.id, model_id, benchmark, bench.protocol_version,  # type: ignore[arg-type]
                           tuple(ids), params.samples)
    raise RuntimeError("could not open benchmark run")  # pragma: no cover


def find_run(model_id: str, benchmark: str, params: AssessParams,
             database_url: str | None = None) -> BenchmarkRun | None:
    """The run these parameters would resume, if there is one (nothing is created)."""
    from benchmarks.registry import get_benchmark

    key = params.run_key(model_id, benchmark, get_benchmark(benchmark).protocol_version)
    with Session(get_engine(database_url)) as s:
        return s.exec(select(BenchmarkRun).where(BenchmarkRun.run_key == key)).first()


def work_items(run: RunInfo, samples: int) -> list[WorkItem]:
    return [(t, i) for t in run.task_ids for i in range(samples)]


def shard(items: Sequence[WorkItem], size: int) -> list[list[WorkItem]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def done_items(run_id: int, database_url: str | None = None) -> set[WorkItem]:
    """The samples judged for good: infrastructure outcomes are asked for again."""
    with Session(get_engine(database_url)) as s:
        rows = s.exec(select(SampleResult.task_id, SampleResult.sample_index)
                      .where(SampleResult.run_id == run_id,
                             col(SampleResult.verdict).not_in(sorted(INFRA_STATUSES)))).all()
    return {(t, i) for t, i in rows}


_REPLACED = ("prompt_hash", "completion", "passed", "verdict", "detail", "latency_ms",
             "tokens_in", "tokens_out", "cost_usd", "created_at")


def store_sample(row: SampleResult, database_url: str | None = None) -> bool:
    """Store one judged sample; False if it was already there (never a duplicate).

    A stored infrastructure outcome for the same (run, task, sample) is replaced: it was
    routerx's failure, not a judgement of the model.
    """
    with Session(get_engine(database_url), expire_on_commit=False) as s:
        s.add(row)
        try:
            s.commit()
            return True
        except IntegrityError:
            s.rollback()
    # One conditional UPDATE, so two workers replacing the same outcome cannot both win.
    replace = (update(SampleResult).where(
        col(SampleResult.run_id) == row.run_id, col(SampleResult.task_id) == row.task_id,
        col(SampleResult.sample_index) == row.sample_index,
        col(SampleResult.verdict).in_(sorted(INFRA_STATUSES)))
        .values({name: getattr(row, name) for name in _REPLACED}))
    with Session(get_engine(database_url)) as s:
        replaced = rows_changed(s, replace)
        s.commit()
    return bool(replaced)


def run_samples(run_id: int, database_url: str | None = None) -> list[SampleResult]:
    with Session(get_engine(database_url)) as s:
        return list(s.exec(select(SampleResult).where(SampleResult.run_id == run_id)
                           .order_by(col(SampleResult.task_id), col(SampleResult.sample_index))))


def finish_run(run_id: int, status: RunStatus, error: str | None = None,
               database_url: str | None = None) -> None:
    with Session(get_engine(database_url)) as s:
        run = s.get(BenchmarkRun, run_id)
        if run is not None:
            run.status, run.error, run.finished_at = status, error, datetime.now(UTC)
            s.add(run)
            s.commit()


def set_model_status(model_ids: Iterable[str], status: ModelStatus, reason: str | None = None,
                     database_url: str | None = None) -> None:
    with Session(get_engine(database_url)) as s:
        for model in s.exec(select(Model).where(col(Model.id).in_(list(model_ids)))):
            model.status, model.status_reason = status, reason
            s.add(model)
        s.commit()


def settle_models(reasons: dict[str, str | None], database_url: str | None = None) -> None:
    """Each model's status after an assessment: `assessed`, or `failed` with the reason.

    A model whose assessment did not complete but which holds earlier complete
    measurements stays `assessed` (those measurements and its placements stand; the
    reason says what went wrong): a revoked key or a provider outage is no evidence
    about the model. `failed` is for a model that was never measured.
    """
    with Session(get_engine(database_url)) as s:
        measured = set(s.exec(select(BenchmarkScore.model_id).where(
            col(BenchmarkScore.model_id).in_(list(reasons))).distinct()))
        for model in s.exec(select(Model).where(col(Model.id).in_(list(reasons)))):
            reason = reasons[model.id]
            if reason is None:
                model.status, model.status_reason = ModelStatus.ASSESSED, None
            elif model.id in measured:
                model.status = ModelStatus.ASSESSED
                model.status_reason = (f"the latest assessment did not complete ({reason}); "
                                       "earlier complete measurements and placements stand")
            else:
                model.status, model.status_reason = ModelStatus.FAILED, reason
            s.add(model)
        s.commit()


def resolve_models(model_ids: Sequence[str], all_new: bool,
                   database_url: str | None = None) -> list[str]:
    """The chat models to assess: named ones (must be catalogued) and/or all `new`."""
    with Session(get_engine(database_url)) as s:
        chosen: list[str] = []
        if all_new:
            chosen += list(s.exec(select(Model.id).where(Model.status == ModelStatus.NEW)
                                  .order_by(col(Model.id))))
        for mid in model_ids:
            model = s.get(Model, mid)
            if model is None:
                raise InputError(f"model {mid!r} is not in the catalogue; run `routerx discover` "
                                 "first or check the id with `routerx models`")
            if not model.can_chat:
                raise InputError(f"model {mid!r} is a {model.kind} model; only chat models "
                                 "can be assessed")
            if model.status == ModelStatus.RETIRED:
                raise InputError(f"model {mid!r} is retired (no longer listed by its provider)")
            chosen.append(mid)
    return list(dict.fromkeys(chosen))
