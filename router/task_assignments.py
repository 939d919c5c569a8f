"""Per-task routing state in the store: which model a task is on and how it has fared.

Why in the store and not in a router's memory: an agent's task may route through one
router process and report its outcome through another (`routerx outcome` beside
`routerx serve`); they must agree on the task's model. One small row per task, read
by primary key on a route that names a task, written only when the task's model
changes or an outcome arrives, so a sticky route costs one indexed read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from router.selection import Selection
from router.store.models import TaskState
from router.store.types import utcnow

_TABLE = TaskState.__table__  # type: ignore[attr-defined]
_C = _TABLE.c
_LOAD = select(_TABLE).where(_C.task_id == bindparam("task_id"))  # built once: a sticky
# route's cost is mostly SQLAlchemy's, and building the statement was a third of it


@dataclass(frozen=True, slots=True)
class TaskSnapshot:
    """A task's row as the stickiness strategy reads it."""

    task_id: str
    category: str
    model: str | None
    strategy: str | None
    explored: bool
    revert: bool
    consecutive_failures: int
    failed_models: tuple[str, ...]

    @classmethod
    def from_row(cls, row: Any) -> TaskSnapshot:
        return cls(row.task_id, row.category, row.model_id, row.strategy, bool(row.explored),
                   bool(row.revert), int(row.consecutive_failures), tuple(row.failed_models or ()))


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(_TABLE)


def load_task(conn: Connection, task_id: str) -> TaskSnapshot | None:
    row = conn.execute(_LOAD, {"task_id": task_id}).first()
    return None if row is None else TaskSnapshot.from_row(row)


def save_route(
    conn: Connection, task_id: str, selection: Selection, previous: TaskSnapshot | None
) -> bool:
    """Remember the task's model after a route; returns whether anything was written.

    A route that keeps the task's model writes nothing. Moving to another model
    resets the run of failures (it counts failures in a row with one model) and clears
    a pending reversion; the models the task failed with are kept.
    """
    if previous is not None and previous.model == selection.model and not previous.revert:
        return False
    values = {
        "category": selection.category,
        "model_id": selection.model,
        "strategy": selection.strategy,
        "explored": selection.is_exploration,
        "revert": False,
        "consecutive_failures": 0,
        "updated_at": utcnow(),
    }
    stmt = _insert(conn).values(task_id=task_id, failed_models=[], **values)
    conn.execute(stmt.on_conflict_do_update(index_elements=[_C.task_id], set_=values))
    return True


def record_task_outcomes(
    conn: Connection, outcomes: Iterable[tuple[str, str, str, bool, bool]]
) -> None:
    """Apply (task_id, category, model, success, is_exploration) outcomes in the
    caller's transaction, in order.

    A failure with the task's current model adds to its run of failures and, when that
    model was an exploration choice, asks the next route to revert. Every model a task
    failed with is remembered so the task never moves back to it.
    """
    for task_id, category, model, success, explored in outcomes:
        conn.execute(
            _insert(conn)
            .values(task_id=task_id, category=category, model_id=model, strategy=None,
                    explored=explored, revert=False, consecutive_failures=0,
                    failed_models=[], updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=[_C.task_id])
        )
        row = conn.execute(
            select(_TABLE).where(_C.task_id == task_id).with_for_update()
        ).one()
        values: dict[str, Any] = {"updated_at": utcnow()}
        current = row.model_id == model
        if success:
            if current:
                values.update(consecutive_failures=0, revert=False)
        else:
            failed = list(row.failed_models or ())
            if model not in failed:
                values["failed_models"] = [*failed, model]
            if current:
                values["consecutive_failures"] = int(row.consecutive_failures) + 1
                values["revert"] = bool(row.explored or explored)
        conn.execute(update(_TABLE).where(_C.task_id == task_id).values(**values))
