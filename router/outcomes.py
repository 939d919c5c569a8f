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
from router.outcome_schema import FIELDS, INT64_MAX, REQUIRED, TEXT_LIMITS
from router.store.models import Outcome
from router.store.types import utcnow

TABLE = Outcome.__table__  # type: ignore[attr-defined]

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
        names = _FIELD_NAMES
        unknown = data.keys() - names
        if unknown:
            raise InputError(
                f"outcome: unknown field(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(names))}"
            )
        missing = REQUIRED - set(data)
        if missing:
            raise InputError(f"outcome: missing required field(s) {', '.join(sorted(missing))}")
        return cls(**data)

    def validate(self) -> OutcomeRecord:
        """Raise InputError naming the first bad field; return self for chaining.

        Written as flat comparisons (no per-field helper calls) because it runs once per
        outcome on the batch path. `0 <= x < inf` also rejects NaN.
        """
        for name, value in (("model", self.model), ("category", self.category)):
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"outcome {name} must be a non-empty string, got {value!r}")
            if len(value) > TEXT_LIMITS[name]:
                raise InputError(f"outcome {name} must be at most {TEXT_LIMITS[name]} "
                                 "characters")
            if not value.isascii() and not _is_unicode(value):
                raise InputError(f"outcome {name} {value!r} is not valid Unicode (a lone "
                                 "surrogate, e.g. from bytes that were not UTF-8)")
        if self.success is not True and self.success is not False:
            raise InputError(f"outcome success must be true or false, got {self.success!r}")
        if self.is_exploration is not True and self.is_exploration is not False:
            raise InputError(
                f"outcome is_exploration must be true or false, got {self.is_exploration!r}"
            )
        accuracy = self.accuracy
        if accuracy is not None and not (_is_number(accuracy) and 0.0 <= accuracy <= 1.0):
            raise InputError(f"outcome accuracy must be within [0, 1], got {accuracy!r}")
        for name, number in (("latency_ms", self.latency_ms), ("cost_usd", self.cost_usd)):
            if number is not None and not (_is_number(number) and 0.0 <= number < math.inf):
                raise InputError(f"outcome {name} must be a finite number >= 0, got {number!r}")
        for name, count in (("tokens_in", self.tokens_in), ("tokens_out", self.tokens_out),
                            ("file_size", self.file_size)):
            if count is not None and (type(count) is not int or not 0 <= count <= INT64_MAX):
                raise InputError(
                    f"outcome {name} must be a whole number from 0 to {INT64_MAX}, got {count!r}")
        for name, text, limit in (("task_id", self.task_id, _TASK_ID_LIMIT),
                                  ("complexity", self.complexity, _COMPLEXITY_LIMIT),
                                  ("language", self.language, _LANGUAGE_LIMIT)):
            if text is not None and (not isinstance(text, str) or len(text) > limit
                                     or not (text.isascii() or _is_unicode(text))):
                raise InputError(f"outcome {name} must be valid text of at most {limit} "
                                 "characters")
        return self


_TASK_ID_LIMIT, _COMPLEXITY_LIMIT, _LANGUAGE_LIMIT = (
    TEXT_LIMITS["task_id"], TEXT_LIMITS["complexity"], TEXT_LIMITS["language"])


def _is_unicode(text: str) -> bool:
    """False for text holding a lone surrogate, which no store or encoder accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_FIELD_NAMES = frozenset(f.name for f in fields(OutcomeRecord))
if _FIELD_NAMES != frozenset(FIELDS):  # the record is the schema's, field for field
    raise TypeError(f"OutcomeRecord's fields differ from OutcomeIn's: {_FIELD_NAMES ^ set(FIELDS)}")


def insert_outcomes(
    conn: Connection,
    records: Sequence[OutcomeRecord],
    providers: Sequence[str],
    recorded_at: datetime | None = None,
) -> list[int]:
    """Insert validated records in one multi-row statement; return the new ids, ascending.

    The ids come back as a set, not matched to records: asking SQLAlchemy to keep
    parameter order makes it fall back to one INSERT per row on SQLite, twenty times
    slower, and no caller needs the pairing.
    """
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
    result = conn.execute(insert(TABLE).returning(TABLE.c.id), rows)
    return sorted(int(i) for i in result.scalars().all())


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
) -> list[Row[*tuple[Any, ...]]]:
    """Outcomes (the columns learning needs) recorded since `since` / with id > after_id,
    oldest first."""
    query = select(*REPLAY_COLUMNS).order_by(TABLE.c.id)
    if since is not None:
        query = query.where(TABLE.c.recorded_at >= since)
    if after_id is not None:
        query = query.where(TABLE.c.id > after_id)
    return list(conn.execute(query).all())
