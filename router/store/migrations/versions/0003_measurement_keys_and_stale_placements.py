"""measurement keys and stale placements

Revision ID: 0003
Revises: 0002

A score is keyed by what was measured: benchmark, protocol, task set (hash of the sorted
task ids, and their count), samples per task and temperature, instead of benchmark and
protocol alone (under which a 3-task smoke run replaced a 164-task score). Placements
gain `stale` and its reason.

Existing rows: a run's task set is read from its stored samples (the tasks it covered),
its count and scope from its `subset`; a score inherits its run's key. A score without a
run (written by hand) gets the task set `unknown` and a sample count derived from its
totals. Placement flags are recomputed by the next assessment; until then a score counts
as placed when its model holds a placement and the score is its benchmark's latest
protocol (the rule before this revision).
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _hash(task_ids: set[str]) -> str:
    # Frozen copy of router.measurement.task_set_hash: a migration must not change
    # meaning when the application code does.
    return hashlib.sha256("\n".join(sorted(task_ids)).encode()).hexdigest()[:32]


def _scope(subset: dict[str, Any] | None, count: int) -> str:
    subset = subset or {}
    if subset.get("task_ids"):
        return f"{count} chosen"
    return f"first {count}" if subset.get("limit") is not None else "all"


def upgrade() -> None:
    with op.batch_alter_table('benchmark_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_set', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('task_count', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('task_scope', sqlmodel.sql.sqltypes.AutoString(length=50),
                                      nullable=False, server_default='all'))
    with op.batch_alter_table('benchmark_score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_set', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('task_count', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('task_scope', sqlmodel.sql.sqltypes.AutoString(length=50),
                                      nullable=False, server_default='all'))
        batch_op.add_column(sa.Column('samples_per_task', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('temperature', sa.Float(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('infra_samples', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('verdicts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('placed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('not_placed_reason', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))
        batch_op.drop_constraint('uq_score_model_bench', type_='unique')
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stale', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('stale_reason', sqlmodel.sql.sqltypes.AutoString(),
                                      nullable=True))

    _fill_keys(op.get_bind())

    with op.batch_alter_table('benchmark_score', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_score_measurement', [
            'model_id', 'benchmark', 'protocol_version', 'task_set', 'task_count',
            'samples_per_task', 'temperature'])


def _fill_keys(conn: sa.engine.Connection) -> None:
    meta = sa.MetaData()
    run = sa.Table('benchmark_run', meta, autoload_with=conn)
    score = sa.Table('benchmark_score', meta, autoload_with=conn)
    sample = sa.Table('sample_result', meta, autoload_with=conn)
    placement = sa.Table('placement', meta, autoload_with=conn)

    covered: dict[int, set[str]] = {}
    for run_id, task_id in conn.execute(sa.select(sample.c.run_id, sample.c.task_id)):
        covered.setdefault(run_id, set()).add(task_id)
    keys: dict[int, dict[str, Any]] = {}
    for row in conn.execute(sa.select(run.c.id, run.c.subset, run.c.samples_per_task,
                                      run.c.temperature)):
        tasks = covered.get(row.id, set())
        count = int((row.subset or {}).get("n_tasks") or len(tasks))
        keys[row.id] = {"task_set": _hash(tasks) if tasks else "unknown", "task_count": count,
                        "task_scope": _scope(row.subset, count)}
        conn.execute(run.update().where(run.c.id == row.id).values(**keys[row.id]))

    scores = conn.execute(sa.select(score.c.id, score.c.run_id, score.c.model_id,
                                    score.c.benchmark, score.c.protocol_version,
                                    score.c.n_tasks, score.c.n_samples,
                                    score.c.computed_at)).all()
    runs = {r.id: r for r in conn.execute(sa.select(run.c.id, run.c.samples_per_task,
                                                   run.c.temperature))}
    latest: dict[str, tuple[Any, ...]] = {}
    for s in scores:
        if s.benchmark not in latest or (s.computed_at, s.id) > latest[s.benchmark][:2]:
            latest[s.benchmark] = (s.computed_at, s.id, s.protocol_version)
    placed_models = {m for (m,) in conn.execute(sa.select(placement.c.model_id).distinct())}
    for s in scores:
        source = runs.get(s.run_id)
        if source is not None:
            values = dict(keys[s.run_id], samples_per_task=source.samples_per_task,
                          temperature=source.temperature)
        else:
            per_task = max(1, round(s.n_samples / s.n_tasks)) if s.n_tasks else 1
            values = {"task_set": "unknown", "task_count": s.n_tasks, "task_scope": "unknown",
                      "samples_per_task": per_task, "temperature": 0.0}
        values["placed"] = (s.model_id in placed_models
                            and s.protocol_version == latest[s.benchmark][2])
        conn.execute(score.update().where(score.c.id == s.id).values(**values))


def downgrade() -> None:
    # The old key holds one score per (model, benchmark, protocol): keep the newest.
    conn = op.get_bind()
    score = sa.Table('benchmark_score', sa.MetaData(), autoload_with=conn)
    newest: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for s in conn.execute(sa.select(score.c.id, score.c.model_id, score.c.benchmark,
                                    score.c.protocol_version, score.c.computed_at)):
        key = (s.model_id, s.benchmark, s.protocol_version)
        newest[key] = max(newest.get(key, (s.computed_at, s.id)), (s.computed_at, s.id))
    keep = [v[1] for v in newest.values()]
    conn.execute(score.delete().where(score.c.id.not_in(keep)))
    with op.batch_alter_table('placement', schema=None) as batch_op:
        batch_op.drop_column('stale_reason')
        batch_op.drop_column('stale')
    with op.batch_alter_table('benchmark_score', schema=None) as batch_op:
        batch_op.drop_constraint('uq_score_measurement', type_='unique')
        for column in ('not_placed_reason', 'placed', 'verdicts', 'infra_samples', 'temperature',
                       'samples_per_task', 'task_scope', 'task_count', 'task_set'):
            batch_op.drop_column(column)
        batch_op.create_unique_constraint('uq_score_model_bench',
                                          ['model_id', 'benchmark', 'protocol_version'])
    with op.batch_alter_table('benchmark_run', schema=None) as batch_op:
        for column in ('task_scope', 'task_count', 'task_set'):
            batch_op.drop_column(column)
