"""Exploration strategy: Thompson rounds within the budget, best posterior mean otherwise.

Answers only while exploration mode is on. The decision itself is
`router.thompson.explore_or_exploit`, the same function the learning simulation
(`scripts/sim_learning.py`) drives through `router.core.RoutingCore`.
"""

from __future__ import annotations

from router.selection import Selection
from router.strategies.base import RouteRequest, RoutingContext, make_selection
from router.thompson import explore_or_exploit


class ExplorationStrategy:
    name = "exploration"

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        status = ctx.exploration
        if not status.active:
            return None
        beliefs = ctx.beliefs.category(request.category)
        k = len(request.table.models)
        params = beliefs.params[:, :k]
        mean = beliefs.mean[:k]
        allowed = request.allowed
        if allowed is not None:
            params = params[:, allowed]
            mean = mean[allowed]
        i, explored = explore_or_exploit(ctx.rng, params, mean, status.explore_fraction)
        index = allowed[i] if allowed is not None else i
        n = len(mean)
        seen = beliefs.evidence_count(index)
        if explored:
            reason = (
                f"exploration ({status.mode}, budget {status.budget:g}%): Thompson round "
                f"over {n} candidates; posterior mean {mean[i]:.3f} from {seen:.0f} recent "
                "outcomes"
            )
        else:
            reason = (
                f"exploration ({status.mode}, budget {status.budget:g}%): best posterior "
                f"mean {mean[i]:.3f} among {n} candidates, from {seen:.0f} recent outcomes"
            )
        return make_selection(
            request, index, strategy=self.name, is_exploration=explored, reason=reason
        )
