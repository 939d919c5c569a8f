"""An immutable in-memory snapshot of what the router may route to.

Loaded in one go from the store (fallback tables, placements, the catalogue) whenever a
version counter moves, and swapped in whole, so a route never sees half of an update.
A category's candidates are its fallback table's models in order, minus the ones that
cannot be served: retired, absent from the catalogue, or pinned out by an operator (an
exclusion in the `pin` table). Leaving a pinned-out model out of the table here, at load
time, means no strategy can serve it and a route pays nothing for the rule. The provider
of each candidate is the catalogue's `provider` column, never guessed from the model's
name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlmodel import Session, col, select

from router.placements import PlacementEntry, fallback_order, latest_fallback_tables
from router.store.models import ALL_CATEGORIES, Model, ModelStatus, Pin, PinKind, Placement
from router.store.types import utcnow

UNUSABLE_STATUSES = {ModelStatus.RETIRED.value: "retired"}
PINNED_OUT = "excluded by an operator"


@dataclass(frozen=True, slots=True)
class CategoryTable:
    category: str
    version: int
    models: tuple[str, ...]
    providers: tuple[str, ...]
    pass_rates: np.ndarray
    skipped: tuple[tuple[str, str], ...] = ()
    pinned_out: frozenset[str] = frozenset()
    # for the fallback strategy's reason, composed once per load rather than per route
    pinned_out_note: str = ""

    def why_empty(self) -> str:
        if not self.skipped:
            return "its fallback table is empty"
        return "; ".join(f"{model} is {why}" for model, why in self.skipped)


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """`expires_ts`: when the first exclusion in it runs out (epoch seconds), so a
    router knows to reload then even though no version counter moved."""

    categories: dict[str, CategoryTable] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    expires_ts: float = math.inf

    @classmethod
    def build(
        cls,
        orders: dict[str, list[str]],
        catalogue: dict[str, tuple[str, str]],
        pass_rates: dict[tuple[str, str], float | None],
        versions: dict[str, int] | None = None,
        excluded: Mapping[str, frozenset[str]] | None = None,
        expires_ts: float = math.inf,
    ) -> RoutingTable:
        """From plain data: orders per category, catalogue id -> (provider, status),
        the operator's exclusions per category (`ALL_CATEGORIES` for every one)."""
        excluded = excluded or {}
        everywhere = excluded.get(ALL_CATEGORIES, frozenset())
        categories = {}
        for category, order in orders.items():
            out = everywhere | excluded.get(category, frozenset())
            models, providers, rates, skipped = [], [], [], []
            for model in order:
                if model in out:
                    skipped.append((model, PINNED_OUT))
                    continue
                entry = catalogue.get(model)
                if entry is None:
                    skipped.append((model, "not in the catalogue"))
                    continue
                provider, status = entry
                if status in UNUSABLE_STATUSES:
                    skipped.append((model, UNUSABLE_STATUSES[status]))
                    continue
                models.append(model)
                providers.append(provider)
                rate = pass_rates.get((category, model))
                rates.append(np.nan if rate is None else rate)
            out_here = [m for m, why in skipped if why == PINNED_OUT]
            categories[category] = CategoryTable(
                category=category,
                version=(versions or {}).get(category, 0),
                models=tuple(models),
                providers=tuple(providers),
                pass_rates=np.asarray(rates, dtype=float),
                skipped=tuple(skipped),
                pinned_out=frozenset(out_here),
                pinned_out_note=f" ({PINNED_OUT}: {', '.join(out_here)})" if out_here else "",
            )
        return cls(categories, {m: p for m, (p, _) in catalogue.items()}, expires_ts)


def load_exclusions(
    session: Session, *, now: datetime | None = None
) -> tuple[dict[str, frozenset[str]], float]:
    """The exclusions in force: models per category (`ALL_CATEGORIES` for every one),
    and when the first of them expires (epoch seconds; inf if none does)."""
    now = now or utcnow()
    rows = session.exec(
        select(Pin.category, Pin.model_id, Pin.expires_at)
        .where(col(Pin.kind) == PinKind.EXCLUDE.value)
        .where(col(Pin.expires_at).is_(None) | (col(Pin.expires_at) > now))
    ).all()
    out: dict[str, set[str]] = {}
    expires = math.inf
    for category, model, until in rows:
        out.setdefault(category, set()).add(model)
        if until is not None:
            expires = min(expires, until.timestamp())
    return {c: frozenset(ms) for c, ms in out.items()}, expires


def load_routing_table(session: Session, *, now: datetime | None = None) -> RoutingTable:
    """Every category with a fallback table or placements; order from the newest table,
    else (placements written but no table yet) by layer then score; models pinned out
    at `now` left out."""
    tables = latest_fallback_tables(session)
    placements = session.exec(select(Placement)).all()
    orders: dict[str, list[str]] = {c: list(t.models) for c, t in tables.items()}
    unordered: dict[str, list[PlacementEntry]] = {}
    for p in placements:
        if p.category not in orders:
            unordered.setdefault(p.category, []).append(
                PlacementEntry(p.model_id, p.layer, p.rank_score)
            )
    for category, entries in unordered.items():
        orders[category] = fallback_order(sorted(entries, key=lambda e: e.model))
    catalogue = {
        m: (provider, status)
        for m, provider, status in session.exec(select(Model.id, Model.provider, Model.status))
    }
    rates = {(p.category, p.model_id): p.pass_rate for p in placements}
    excluded, expires = load_exclusions(session, now=now)
    return RoutingTable.build(orders, catalogue, rates, {c: t.version for c, t in tables.items()},
                              excluded, expires)
