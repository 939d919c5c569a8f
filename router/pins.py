"""Operator pins in the store: set, remove, list, and the snapshot routers cache.

Two kinds. A pin (`routerx pin --model M`) serves its model for a category or one task
of it. An exclusion (`routerx pin --exclude M`) pins a model out of a category, or out
of every category: the operator's way to drop a model its provider has not retired.
Exclusions are applied where the routing table is loaded (`router.routing_table`), so
no strategy ever sees the model. The two cannot contradict each other: excluding the
model a pin serves, or pinning an excluded model, is refused.

Why in the store: an operator pins once and every router process sharing the store
obeys, across restarts. Every write bumps the `PINS` version counter in the same
transaction, so routers reload their pin book and routing table on their next refresh.
An expired pin is ignored by routers and purged by the next write.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from router.errors import InputError, UnknownNameError
from router.ids import check_category, check_model_id
from router.routing_table import UNUSABLE_STATUSES, load_exclusions, load_routing_table
from router.store import rows_changed
from router.store.models import ALL_CATEGORIES, Model, Pin, PinKind
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
    kind: str = PinKind.PIN.value

    @classmethod
    def from_row(cls, row: Pin) -> PinEntry:
        expires = row.expires_at
        return cls(row.category, row.model_id, row.task_id, expires, row.created_at,
                   row.created_by, row.note, math.inf if expires is None else expires.timestamp(),
                   str(row.kind))

    @property
    def excludes(self) -> bool:
        return self.kind == PinKind.EXCLUDE

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "category": self.category,
            "model": self.model,
            "task_id": self.task_id,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "note": self.note,
        }

    def describe(self) -> str:
        until = f" until {self.expires_at:%Y-%m-%d %H:%M:%S} UTC" if self.expires_at else ""
        if self.excludes:
            return f"operator exclusion of {self.model} from {_where(self.category)}{until}"
        scope = f"task {self.task_id!r} of {self.category!r}" if self.task_id else (
            f"category {self.category!r}"
        )
        return f"operator pin on {scope}{until}"


def _where(category: str) -> str:
    return "every category" if category == ALL_CATEGORIES else f"category {category!r}"


@dataclass(frozen=True, slots=True)
class PinBook:
    """The active pins as a router caches them: category pins and (category, task) pins."""

    categories: dict[str, PinEntry] = field(default_factory=dict)
    tasks: dict[tuple[str, str], PinEntry] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.categories or self.tasks)


def _scope(category: str, task_id: str | None) -> Any:
    where = (col(Pin.kind) == PinKind.PIN.value) & (col(Pin.category) == category)
    if task_id is None:
        return where & col(Pin.task_id).is_(None)
    return where & (col(Pin.task_id) == task_id)


def _exclusion_scope(category: str, model: str) -> Any:
    return ((col(Pin.kind) == PinKind.EXCLUDE.value) & (col(Pin.category) == category)
            & (col(Pin.model_id) == model))


def _in_force(now: datetime) -> Any:
    return col(Pin.expires_at).is_(None) | (col(Pin.expires_at) > now)


def _check_duration(duration: timedelta | None) -> None:
    if duration is not None and duration <= timedelta():
        raise InputError(f"pin duration must be positive, got {duration}")


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
    not in the catalogue, retired or excluded from the category by an operator, an
    unknown category, a category with no usable model (its routes go to the default
    category, so its pin would never apply), or a duration that is not positive.
    """
    check_category(category)
    check_model_id(model)
    now = now or utcnow()
    _check_duration(duration)
    _refuse_unusable(session, model)
    categories = load_routing_table(session, now=now).categories
    if category not in categories:
        raise UnknownNameError("category", category, categories)
    excluded, _ = load_exclusions(session, now=now)
    for scope in (category, ALL_CATEGORIES):
        if model in excluded.get(scope, ()):
            flag = "--all-categories" if scope == ALL_CATEGORIES else f"--category {category}"
            raise InputError(
                f"cannot pin {model!r} on category {category!r}: an operator excluded it from "
                f"{_where(scope)}; lift that first with `routerx unpin {flag} --exclude {model}`"
            )
    table = categories[category]
    if not table.models:
        raise InputError(
            f"cannot pin category {category!r}: it has no usable model ({table.why_empty()}), "
            "so its routes go to the default category (ROUTERX_DEFAULT_CATEGORY); pin that "
            "one, or lift an exclusion"
        )
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
    removed = rows_changed(session, delete(Pin).where(_scope(category, task_id)))
    if not removed:
        scope = f"task {task_id!r} of category {category!r}" if task_id else (
            f"category {category!r}"
        )
        raise InputError(f"no pin on {scope}; `routerx pin --list` shows the pins")
    bump_version(session, PINS)
    return int(removed)


def set_exclusion(
    session: Session,
    category: str,
    model: str,
    *,
    duration: timedelta | None = None,
    created_by: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PinEntry:
    """Pin `model` out of `category` (`ALL_CATEGORIES`: out of every one, including
    categories placed later), replacing an earlier exclusion of the same scope.

    Refused, with the reason, for a malformed id or category, a model not in the
    catalogue, an unknown category, a duration that is not positive, or a model that an
    operator pin in force serves in that scope (unpin it first: the two would
    contradict each other).
    """
    everywhere = category == ALL_CATEGORIES
    if not everywhere:
        check_category(category)
    check_model_id(model)
    now = now or utcnow()
    _check_duration(duration)
    if session.exec(select(Model.id).where(Model.id == model)).first() is None:
        raise InputError(
            f"cannot exclude {model!r}: it is not in the catalogue; "
            "see `routerx models` for known ids"
        )
    if not everywhere:
        categories = load_routing_table(session, now=now).categories
        if category not in categories:
            raise UnknownNameError("category", category, categories)
    serving = select(Pin).where(col(Pin.kind) == PinKind.PIN.value,
                                col(Pin.model_id) == model, _in_force(now))
    if not everywhere:
        serving = serving.where(col(Pin.category) == category)
    pin = session.exec(serving.order_by(col(Pin.category), col(Pin.task_id))).first()
    if pin is not None:
        entry = PinEntry.from_row(pin)
        how = f"--category {entry.category}" + (
            f" --task-id {shlex.quote(entry.task_id)}" if entry.task_id else "")
        raise InputError(
            f"cannot exclude {model!r} from {_where(category)}: the {entry.describe()} "
            f"serves it; remove that pin first with `routerx unpin {how}`"
        )
    session.execute(delete(Pin).where(_exclusion_scope(category, model)))
    session.execute(delete(Pin).where(col(Pin.expires_at) <= now))
    row = Pin(category=category, task_id=None, model_id=model, kind=PinKind.EXCLUDE.value,
              created_at=now, expires_at=None if duration is None else now + duration,
              created_by=created_by, note=note)
    session.add(row)
    session.flush()
    bump_version(session, PINS)
    return PinEntry.from_row(row)


def remove_exclusion(session: Session, category: str, model: str) -> int:
    """Lift the exclusion of `model` from `category` (or `ALL_CATEGORIES`); refuses
    (InputError) when there is none."""
    if category != ALL_CATEGORIES:
        check_category(category)
    check_model_id(model)
    removed = rows_changed(session, delete(Pin).where(_exclusion_scope(category, model)))
    if not removed:
        raise InputError(
            f"no exclusion of {model!r} from {_where(category)}; "
            "`routerx pin --list` shows the pins and exclusions"
        )
    bump_version(session, PINS)
    return int(removed)


def list_pins(session: Session, *, now: datetime | None = None) -> list[PinEntry]:
    """Pins and exclusions in force (unexpired), by category, task, then kind."""
    now = now or utcnow()
    rows = session.exec(
        select(Pin)
        .where(_in_force(now))
        .order_by(col(Pin.category), col(Pin.task_id), col(Pin.kind).desc(), col(Pin.id))
    ).all()
    return [PinEntry.from_row(r) for r in rows]


def load_pin_book(session: Session, *, now: datetime | None = None) -> PinBook:
    """The snapshot a router caches (pins that serve a model; exclusions live in the
    routing table). A pinned model retired since, or pinned out of its category, is
    left out, so the chain goes on as if unpinned (routers reload on catalogue changes
    too)."""
    pins = [p for p in list_pins(session, now=now) if not p.excludes]
    if not pins:
        return PinBook()
    excluded, _ = load_exclusions(session, now=now)
    everywhere = excluded.get(ALL_CATEGORIES, frozenset())
    models = {p.model for p in pins}
    rows = session.exec(select(Model.id, Model.status).where(col(Model.id).in_(models))).all()
    status = {m: s for m, s in rows}
    usable = {m for m in models if m in status and status[m] not in UNUSABLE_STATUSES}
    categories: dict[str, PinEntry] = {}
    tasks: dict[tuple[str, str], PinEntry] = {}
    for p in pins:
        if p.model not in usable or p.model in everywhere or (
            p.model in excluded.get(p.category, ())
        ):
            continue
        if p.task_id is None:
            categories[p.category] = p
        else:
            tasks[(p.category, p.task_id)] = p
    return PinBook(categories, tasks)
