"""An immutable in-memory snapshot of what the router may route to.

Loaded in one go from the store (fallback tables, placements, the catalogue) whenever a
version counter moves, and swapped in whole, so a route never sees half of an update.
A category's candidates are its fallback table's models in order, minus the ones that
cannot be served: retired, or absent from the catalogue. The provider of each
candidate is the catalogue's `provider` column, never guessed from the model's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session, select

from router.placements import PlacementEntry, fallback_order, latest_fallback_tables
from router.store.models import Model, ModelStatus, Placement

UNUSABLE_STATUSES = {ModelStatus.RETIRED.value: "retired"}


@dataclass(frozen=True, slots=True)
class CategoryTable:
    category: str
    version: int
    models: tuple[str, ...]
    providers: tuple[str, ...]
    pass_rates: np.ndarray
    skipped: tuple[tuple[str, str], ...] = ()

    def why_empty(self) -> str:
        if not self.skipped:
            return "its fallback table is empty"
        return "; ".join(f"{model} is {why}" for model, why in self.skipped)


@dataclass(frozen=True, slots=True)
class RoutingTable:
    categories: dict[str, CategoryTable] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        orders: dict[str, list[str]],
        catalogue: dict[str, tuple[str, str]],
        pass_rates: dict[tuple[str, str], float | None],
        versions: dict[str, int] | None = None,
    ) -> RoutingTable:
        """From plain data: orders per category, catalogue id -> (provider, status)."""
        categories = {}
        for category, order in orders.items():
            models, providers, rates, skipped = [], [], [], []
            for model in order:
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
            categories[category] = CategoryTable(
                category=category,
                version=(versions or {}).get(category, 0),
                models=tuple(models),
                providers=tuple(providers),
                pass_rates=np.asarray(rates, dtype=float),
                skipped=tuple(skipped),
            )
        return cls(categories, {m: p for m, (p, _) in catalogue.items()})


def load_routing_table(session: Session) -> RoutingTable:
    """Every category with a fallback table or placements; order from the newest table,
    else (placements written but no table yet) by layer then score."""
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
    return RoutingTable.build(orders, catalogue, rates, {c: t.version for c, t in tables.items()})
