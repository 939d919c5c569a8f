"""Operator pins in the store: set, remove, list, and the snapshot routers cache.

Why in the store: an operator pins once and every router process sharing the store
obeys, across restarts. Every write bumps the `PINS` version counter in the same
transaction, so routers reload their pin book on their next refresh. An expired pin is
ignored by routers and purged by the next write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from router.errors import InputError, UnknownNameError
from router.ids import check_category, check_model_id
from router.routing_table import UNUSABLE_STATUSES, load_routing_table
from router.store.models import Model, Pin
from router.store.types import utcnow
from router.store.versions import PINS, bump_version


@dataclass(frozen=True, slots=True)
class PinEntry:
    category: str
    model: str
    task_id: str | None
    expires_at: datetime | None
    created_at: datetime
    created_by: str | None = None
    note: str | None = None
    expires_ts: float = field(default=math.inf, compare=False)

    @classmethod
    def from_row(cls, row: Pin) -> PinEntry:
        expires = row.expires_at
        return cls(row.category, row.model_id, row.task_id, expires, row.created_at,
                   row.created_by, row.note, math.inf if expires is None else expires.timestamp())

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "model": self.model,
            "task_id": self.task_id,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "note": self.note,
        }

    def describe(self) -> str:
        scope = f"task {self.task_id!r} of {self.category!r}" if self.task_id else (
            f"category {self.category!r}"
        )
        until = f" until {self.expires_at:%Y-%m-%d %H:%M:%S} UTC" if self.expires_at else ""
        return f"operator pin on {scope}{until}"


@dataclass(frozen=True, slots=True)
class PinBook:
    """The active pins as a router caches them: category pins and (category, task) pins."""

    categories: dict[str, PinEntry] = field(default_factory=dict)
    tasks: dict[tuple[str, str], PinEntry] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.categories or self.tasks)


def _scope(category: str, task_id: str | None) -> Any:
    where = col(Pin.category) == category
    if task_id is None:
        return where & col(Pin.task_id).is_(None)
    return where & (col(Pin.task_id) == task_id)


def _refuse_unusable(session: Session, model: str) -> None:
    status = session.exec(select(Model.status).where(Model.id == model)).first()
    if status is None:
        raise InputError(
            f"cannot pin {model!r}: it is not in the catalogue; "
            "see `routerx models` for known ids"
        )
    if status in UNUSABLE_STATUSES:
        raise InputError(
            f"cannot pin {model!r}: it is {UNUSABLE_STATUSES[status]}; pin a model in service"
        )


def set_pin(
    session: Session,
    category: str,
    model: str,
    *,
    task_id: str | None = None,
    duration: timedelta | None = None,
    created_by: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PinEntry:
    """Pin `model` for `category` (or one task of it), replacing any pin of that scope.

    Refused, with the reason, for a malformed id or category (router/ids.py), a model
    not in the catalogue or retired, an unknown category, or a duration that is not
    positive.
    """
    check_category(category)
    check_model_id(model)
    now = now or utcnow()
    if duration is not None and duration <= timedelta():
        raise InputError(f"pin duration must be positive, got {duration}")
    _refuse_unusable(session, model)
    categories = load_routing_table(session).categories
    if category not in categories:
        raise UnknownNameError("category", category, categories)
    session.execute(delete(Pin).where(_scope(category, task_id)))
    session.execute(delete(Pin).where(col(Pin.expires_at) <= now))
    row = Pin(category=category, task_id=task_id, model_id=model, created_at=now,
              expires_at=None if duration is None else now + duration,
              created_by=created_by, note=note)
    session.add(row)
    session.flush()
    bump_version(session, PINS)
    return PinEntry.from_row(row)


def remove_pin(session: Session, category: str, *, task_id: str | None = None) -> int:
    """Remove the pin of that scope; refuses (InputError) when there is none."""
    check_category(category)
    removed = session.execute(delete(Pin).where(_scope(category, task_id))).rowcount
    if not removed:
        scope = f"task {task_id!r} of category {category!r}" if task_id else (
            f"category {category!r}"
        )
        raise InputError(f"no pin on {scope}; `routerx pin --list` shows the pins")
    bump_version(session, PINS)
    return int(removed)


def list_pins(session: Session, *, now: datetime | None = None) -> list[PinEntry]:
    """Pins in force (unexpired), by category then task."""
    now = now or utcnow()
    rows = session.exec(
        select(Pin)
        .where(col(Pin.expires_at).is_(None) | (col(Pin.expires_at) > now))
        .order_by(col(Pin.category), col(Pin.task_id), col(Pin.id))
    ).all()
    return [PinEntry.from_row(r) for r in rows]


def load_pin_book(session: Session, *, now: datetime | None = None) -> PinBook:
    """The snapshot a router caches; a pinned model retired since is left out, so the
    chain goes on as if unpinned (routers reload on catalogue changes too)."""
    pins = list_pins(session, now=now)
    if not pins:
        return PinBook()
    models = {p.model for p in pins}
    rows = session.exec(select(Model.id, Model.status).where(col(Model.id).in_(models))).all()
    status = {m: s for m, s in rows}
    usable = {m for m in models if m in status and status[m] not in UNUSABLE_STATUSES}
    categories: dict[str, PinEntry] = {}
    tasks: dict[tuple[str, str], PinEntry] = {}
    for p in pins:
        if p.model not in usable:
            continue
        if p.task_id is None:
            categories[p.category] = p
        else:
            tasks[(p.category, p.task_id)] = p
    return PinBook(categories, tasks)
