"""Fallback-table strategy: the first usable model of the category's fallback table.

The last link of the chain: with exploration off this is what every route serves, and
it answers whenever at least one candidate is left after exclusions.
"""

from __future__ import annotations

from router.selection import Selection
from router.strategies.base import RouteRequest, RoutingContext, make_selection


class FallbackTableStrategy:
    name = "fallback-table"

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        allowed = request.allowed
        if allowed is not None and not allowed:
            return None
        index = 0 if allowed is None else allowed[0]
        table = request.table
        version = f"v{table.version}" if table.version else "(from placements)"
        reason = (f"fallback table {version} for {table.category!r}: first usable model"
                  f"{table.pinned_out_note}")
        if index:
            reason += f" after excluding {index} ahead of it"
        return make_selection(
            request, index, strategy=self.name, is_exploration=False, reason=reason
        )
