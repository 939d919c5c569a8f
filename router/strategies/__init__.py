"""The strategy chain: asked in order, the first strategy that answers wins.

To add a strategy, write one module with a class that has a `name` and a
`select(request, ctx)` method (see `router.strategies.base.Strategy`) and add one line
to `CHAIN` at the position where it should take precedence.
"""

from __future__ import annotations

from router.strategies.base import RouteRequest, RoutingContext, Strategy, make_selection
from router.strategies.exploration import ExplorationStrategy
from router.strategies.fallback import FallbackTableStrategy
from router.strategies.pins import CategoryPinStrategy, TaskPinStrategy
from router.strategies.stickiness import TaskStickinessStrategy

CHAIN: tuple[Strategy, ...] = (
    TaskPinStrategy(),
    CategoryPinStrategy(),
    TaskStickinessStrategy(),
    ExplorationStrategy(),
    FallbackTableStrategy(),
)

__all__ = ["CHAIN", "RouteRequest", "RoutingContext", "Strategy", "make_selection"]
