"""Live outcomes: validation, batched storage, and reading them back.

Every outcome is stored (the plan's `model_performance` table, `Outcome` in the store)
before it changes any in-memory belief, so a restarted router, or a second process,
rebuilds the same state from the store. Batches go in as one multi-row INSERT with
RETURNING, which is what lets `Router.record_many` keep up with tens of thousands of
outcomes a second on SQLite.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Row

from router.errors import InputError
from router.store.models import Outcome
from router.store.types import utcnow

TABLE = Outcome.__table__  # type: ignore[attr-defined]

_TEXT_LIMITS = {"task_id": 200, "complexity": 50, "language": 50}


@dataclass(slots=True)
class OutcomeRecord:
    """One task's outcome as a caller reports it."""

    model: str
    category: str
    success: bool
    accuracy: float | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    task_id: str | None = None
    complexity: str | None = None
    file_size: int | None = None
    language: str | None = None
    is_exploration: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OutcomeRecord:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise InputError(
                f"outcome: unknown field(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(names))}"
            )
        missing = {"model", "category", "success"} - set(data)
        if missing:
            raise InputError(f"outcome: missing required field(s) {', '.join(sorted(missing))}")
        return cls(**data)

    def validate(self) -> OutcomeRecord:
        """Raise InputError naming the first bad field; return self for chaining."""
        for name in ("model", "category"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"outcome {name} must be a non-empty string, got {value!r}")
        if not isinstance(self.success, bool):
            raise InputError(f"outcome success must be true or false, got {self.success!r}")
        if not isinstance(self.is_exploration, bool):
            raise InputError(
                f"outcome is_exploration must be true or false, got {self.is_exploration!r}"
            )
        if self.accuracy is not None and not _number_within(self.accuracy, 0.0, 1.0):
            raise InputError(f"outcome accuracy must be within [0, 1], got {self.accuracy!r}")
        for name in ("latency_ms", "cost_usd"):
            value = getattr(self, name)
            if value is not None and not _number_within(value, 0.0, math.inf):
                raise InputError(f"outcome {name} must be a finite number >= 0, got {value!r}")
        for name in ("tokens_in", "tokens_out", "file_size"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise InputError(f"outcome {name} must be a whole number >= 0, got {value!r}")
        for name, limit in _TEXT_LIMITS.items():
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise InputError(f"outcome {name} must be text of at most {limit} characters")
        return self


def _number_within(value: Any, lo: float, hi: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and lo <= value <= hi


def insert_outcomes(
    conn: Connection,
    records: Sequence[OutcomeRecord],
    providers: Sequence[str],
    recorded_at: datetime | None = None,
) -> list[int]:
    """Insert validated records in one statement; return their ids in record order."""
    at = recorded_at or utcnow()
    rows = [
        {
            "task_id": r.task_id,
            "category": r.category,
            "model_id": r.model,
            "provider": p,
            "is_exploration": r.is_exploration,
            "success": r.success,
            "accuracy": r.accuracy,
            "latency_ms": r.latency_ms,
            "cost_usd": r.cost_usd,
            "tokens_in": r.tokens_in,
            "tokens_out": r.tokens_out,
            "complexity": r.complexity,
            "file_size": r.file_size,
            "language": r.language,
            "recorded_at": at,
        }
        for r, p in zip(records, providers, strict=True)
    ]
    if len(rows) == 1:
        result = conn.execute(insert(TABLE).returning(TABLE.c.id), rows[0])
        return [int(result.scalar_one())]
    result = conn.execute(insert(TABLE).returning(TABLE.c.id, sort_by_parameter_order=True), rows)
    return [int(i) for i in result.scalars().all()]


REPLAY_COLUMNS = (
    TABLE.c.id,
    TABLE.c.category,
    TABLE.c.model_id,
    TABLE.c.success,
    TABLE.c.accuracy,
    TABLE.c.latency_ms,
    TABLE.c.cost_usd,
    TABLE.c.tokens_in,
    TABLE.c.tokens_out,
)


def load_outcomes(
    conn: Connection, *, since: datetime | None = None, after_id: int | None = None
) -> list[Row]:
    """Outcomes (the columns learning needs) recorded since `since` / with id > after_id,
    oldest first."""
    query = select(*REPLAY_COLUMNS).order_by(TABLE.c.id)
    if since is not None:
        query = query.where(TABLE.c.recorded_at >= since)
    if after_id is not None:
        query = query.where(TABLE.c.id > after_id)
    return list(conn.execute(query).all())
