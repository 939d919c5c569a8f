"""Operator pins: a task's pin, then its category's pin, ahead of everything else.

Why first in the chain: a person who pins a model means it; the plan consulted
exploration first and so let an experiment overrule an operator. Both strategies cost
one truth test when no pin exists, so routes without pins do not pay for them.
"""

from __future__ import annotations

import time

from router.pins import PinEntry
from router.selection import Selection
from router.strategies.base import RouteRequest, RoutingContext, make_selection


def _pinned(
    request: RouteRequest, ctx: RoutingContext, pin: PinEntry | None, strategy: str
) -> Selection | None:
    """The pinned model, unless the pin expired or the caller excluded the model."""
    if pin is None or time.time() >= pin.expires_ts or pin.model in request.exclude:
        return None
    reason = f"{pin.describe()}" + (f" ({pin.note})" if pin.note else "")
    models = request.table.models
    if pin.model in models:
        return make_selection(request, models.index(pin.model), strategy=strategy,
                              is_exploration=False, reason=reason)
    provider = ctx.table.providers.get(pin.model)
    if provider is None:
        return None
    return Selection(
        model=pin.model,
        provider=provider,
        fallbacks=tuple(m for m in models if m not in request.exclude),
        is_exploration=False,
        reason=request.note + reason + "; the model is not in the category's fallback table",
        category=request.category,
        strategy=strategy,
    )


class TaskPinStrategy:
    name = "task-pin"
    needs_pins_or_task = True

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        if request.task_id is None or not ctx.pins.tasks:
            return None
        pin = ctx.pins.tasks.get((request.category, request.task_id))
        return _pinned(request, ctx, pin, self.name)


class CategoryPinStrategy:
    name = "category-pin"
    needs_pins_or_task = True

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        pins = ctx.pins.categories
        if not pins:
            return None
        return _pinned(request, ctx, pins.get(request.category), self.name)
