"""The routing core: routing table + beliefs + exploration switch + strategy chain.

Everything that decides a route and everything a reward changes, with no store and no
locks. `router.Router` wraps it with the store (caching, persistence, sharing between
processes); the learning simulation drives it directly, so the policy measured there is
the policy that serves routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from router.beliefs import PosteriorBook
from router.errors import RoutingError
from router.exploration import ExplorationStatus
from router.pins import PinBook
from router.routing_table import CategoryTable, RoutingTable
from router.selection import Selection
from router.strategies import CHAIN, RouteRequest, Strategy
from router.task_assignments import TaskSnapshot


class RoutingCore:
    def __init__(
        self,
        table: RoutingTable,
        exploration: ExplorationStatus,
        *,
        rng: np.random.Generator,
        discount: float,
        default_category: str,
        chain: Sequence[Strategy] = CHAIN,
        stuck_after: int = 2,
    ) -> None:
        self.rng = rng
        self.pins = PinBook()
        self.stuck_after = stuck_after
        self.beliefs = PosteriorBook(discount, rng)
        self.default_category = default_category
        self.chain = tuple(chain)
        # the chain of a route with no task and no pins in force: strategies that could
        # only pass are left out, so such routes do not pay for them
        self._bare_chain = tuple(
            s for s in self.chain if not getattr(s, "needs_pins_or_task", False)
        )
        self.exploration = exploration
        self.table = table
        self._arrange_all()

    # -- state changes ------------------------------------------------------------------

    def _arrange_all(self) -> None:
        strength = self.exploration.prior_strength
        for category, table in self.table.categories.items():
            self.beliefs.arrange(category, table.models, table.pass_rates, strength)

    def set_table(self, table: RoutingTable) -> None:
        self.table = table
        self._arrange_all()

    def set_exploration(self, status: ExplorationStatus) -> None:
        strength_changed = status.prior_strength != self.exploration.prior_strength
        self.exploration = status
        if strength_changed:
            self._arrange_all()

    def set_pins(self, pins: PinBook) -> None:
        self.pins = pins

    def observe(self, category: str, models: Sequence[str], rewards: np.ndarray) -> None:
        """Every outcome updates the beliefs: exploitation's as much as exploration's."""
        self.beliefs.observe(category, models, rewards)

    # -- routing ------------------------------------------------------------------------

    def resolve(self, category: str) -> tuple[CategoryTable, str]:
        """(table to route, note for the reason). An unknown category, or one with no
        usable model (every model retired or pinned out, or its fallback table emptied
        by a redefinition), is answered by the default category, and the note says so."""
        categories = self.table.categories
        table = categories.get(category)
        if table is not None and table.models:
            return table, ""
        default = self.default_category
        fallback = categories.get(default)
        why = "is unknown" if table is None else f"has no usable model ({table.why_empty()})"
        if fallback is not None and fallback.models:
            return fallback, (
                f"category {category!r} {why}, so the default category {default!r} answered; "
            )
        if table is not None and category == default:
            raise RoutingError(f"category {category!r} has no usable model: {table.why_empty()}")
        if fallback is not None:
            raise RoutingError(
                f"category {category!r} {why}, and the default category {default!r} "
                f"(ROUTERX_DEFAULT_CATEGORY) has no usable model either: {fallback.why_empty()}"
            )
        known = ", ".join(sorted(categories)) or "(none)"
        raise RoutingError(
            f"no placements for category {category!r}, nor for the default category "
            f"{default!r} (ROUTERX_DEFAULT_CATEGORY); known categories: {known}. "
            "Load some with `routerx placements import FILE.json` or run `routerx assess`."
        )

    def route(
        self,
        category: str,
        exclude: Iterable[str] = (),
        *,
        task_id: str | None = None,
        task: TaskSnapshot | None = None,
    ) -> Selection:
        table, note = self.resolve(category)
        resolved = table.category
        excluded = frozenset(exclude)
        allowed = None
        if excluded:
            allowed = [i for i, m in enumerate(table.models) if m not in excluded]
            if not allowed:
                raise RoutingError(
                    f"every candidate of category {resolved!r} is excluded "
                    f"({', '.join(table.models)})"
                )
        request = RouteRequest(category, table, excluded, allowed, note, task_id, task)
        chain = self.chain if task_id is not None or self.pins else self._bare_chain
        for strategy in chain:
            selection = strategy.select(request, self)
            if selection is not None:
                return selection
        raise RoutingError(f"no strategy could route category {resolved!r}")
