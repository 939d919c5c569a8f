"""Exploration strategy: Thompson rounds within the budget, best posterior mean otherwise.

Answers only while exploration mode is on. The decision itself is
`router.thompson.explore_or_exploit`, the same function the learning simulation
(`scripts/sim_learning.py`) drives through `router.core.RoutingCore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from router.selection import Selection
from router.strategies.base import RouteRequest, RoutingContext, make_selection
from router.thompson import explore_or_exploit

if TYPE_CHECKING:
    import numpy as np


class ExplorationStrategy:
    name = "exploration"

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        status = ctx.exploration
        if not status.active:
            return None
        beliefs = ctx.beliefs.category(request.category)
        k = len(request.table.models)
        mean = beliefs.mean[:k]
        allowed = request.allowed
        if allowed is None:
            def draw() -> np.ndarray:  # a posterior draw per candidate
                return beliefs.thompson_row()[:k]
        else:
            mean = mean[allowed]

            def draw() -> np.ndarray:
                return beliefs.thompson_row()[allowed]
        i, explored = explore_or_exploit(ctx.rng, draw, mean, status.explore_fraction)
        index = allowed[i] if allowed is not None else i
        seen = beliefs.evidence_count(index)
        how = "Thompson round over" if explored else "best posterior mean among"
        reason = (
            f"exploration ({status.mode}, budget {status.budget:g}%): {how} {len(mean)} "
            f"candidates; posterior mean {float(mean[i]):.3f} from {seen:.0f} recent outcomes"
        )
        return make_selection(
            request, index, strategy=self.name, is_exploration=explored, reason=reason
        )
