"""Migrations: 0003 (scores keyed by what was measured) and 0004 (pin kinds) carry
existing rows over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlmodel import Session, select

from router.measurement import task_set_hash
from router.store.migrate import MIGRATIONS_DIR, current_revision, ensure_schema, head_revision
from router.store.models import BenchmarkRun, BenchmarkScore, Placement

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _upgrade(engine: sa.Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()


def _seed_0002(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    meta.reflect(conn)
    t = meta.tables
    for mid in ("p/smoke", "p/full", "p/hand"):
        conn.execute(t["model"].insert().values(
            id=mid, provider="p", name=mid[2:], kind="chat", can_chat=True, status="assessed",
            first_seen=T0, last_seen=T0))
    for run_id, model, subset, tasks, samples in (
            (1, "p/smoke", {"limit": 3, "task_ids": None, "n_tasks": 3},
             ["HumanEval/0", "HumanEval/1", "HumanEval/2"], 1),
            (2, "p/full", {"limit": None, "task_ids": None, "n_tasks": 2},
             ["HumanEval/1", "HumanEval/0"], 2)):
        conn.execute(t["benchmark_run"].insert().values(
            id=run_id, run_key=f"k{run_id}", model_id=model, benchmark="humaneval",
            subset=subset, samples_per_task=samples, temperature=0.2 * (run_id - 1), seed=0,
            protocol_version="v1", status="completed", started_at=T0))
        for task in tasks:
            for i in range(samples):
                conn.execute(t["sample_result"].insert().values(
                    run_id=run_id, task_id=task, sample_index=i, prompt_hash="h",
                    passed=True, verdict="passed", created_at=T0))
        conn.execute(t["benchmark_score"].insert().values(
            model_id=model, benchmark="humaneval", protocol_version="v1", run_id=run_id,
            n_tasks=len(tasks), n_samples=len(tasks) * samples, pass_at_1=1.0, ci_low=0.5,
            ci_high=1.0, computed_at=T0))
    conn.execute(t["benchmark_score"].insert().values(
        model_id="p/hand", benchmark="humaneval", protocol_version="v0", n_tasks=10,
        n_samples=30, pass_at_1=0.5, ci_low=0.2, ci_high=0.8,
        computed_at=T0 - timedelta(days=30)))
    conn.execute(t["placement"].insert().values(
        model_id="p/smoke", category="code-generation", layer=2, rank_score=0.5,
        provisional=True, assessed_at=T0))


def test_existing_rows_get_their_measurement_key(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        _upgrade(engine, "0002")
        with engine.begin() as conn:
            _seed_0002(conn)
        ensure_schema(engine)
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision() >= "0003"
        with Session(engine) as s:
            runs = {r.id: r for r in s.exec(select(BenchmarkRun))}
            scores = {x.model_id: x for x in s.exec(select(BenchmarkScore))}
            placement = s.exec(select(Placement)).one()
            assert (runs[1].task_set, runs[1].task_count, runs[1].task_scope) == (
                task_set_hash(["HumanEval/0", "HumanEval/1", "HumanEval/2"]), 3, "first 3")
            assert (runs[2].task_count, runs[2].task_scope) == (2, "all")
            smoke, full, hand = scores["p/smoke"], scores["p/full"], scores["p/hand"]
            assert (smoke.task_set, smoke.task_count, smoke.samples_per_task) == (
                runs[1].task_set, 3, 1)
            assert (full.samples_per_task, full.temperature) == (2, 0.2)
            assert (hand.task_set, hand.task_count, hand.samples_per_task) == ("unknown", 10, 3)
            # placed as before: a placed model's score of the latest protocol
            assert smoke.placed and not full.placed and not hand.placed
            assert placement.stale is False and placement.stale_reason is None
            # the new key admits a second score of one model, benchmark and protocol
            s.add(BenchmarkScore(model_id="p/smoke", benchmark="humaneval",
                                 protocol_version="v1", task_set="other", task_count=164,
                                 n_tasks=164, n_samples=164, pass_at_1=0.7, ci_low=0.6,
                                 ci_high=0.8))
            s.commit()
    finally:
        engine.dispose()


def test_pins_from_before_0004_keep_serving_their_model(database_url: str) -> None:
    from router.pins import list_pins, load_pin_book
    from router.store.models import Pin

    engine = sa.create_engine(database_url)
    try:
        _upgrade(engine, "0003")
        with engine.begin() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            conn.execute(meta.tables["pin"].insert().values(
                category="code-generation", model_id="p/full", created_at=T0))
            conn.execute(meta.tables["model"].insert().values(
                id="p/full", provider="p", name="full", kind="chat", can_chat=True,
                status="assessed", first_seen=T0, last_seen=T0))
        ensure_schema(engine)
        with Session(engine) as s:
            assert s.exec(select(Pin.kind)).one() == "pin"
            (entry,) = list_pins(s)
            assert (entry.kind, entry.model, entry.excludes) == ("pin", "p/full", False)
            assert load_pin_book(s).categories["code-generation"].model == "p/full"
    finally:
        engine.dispose()
