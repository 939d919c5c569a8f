"""The contract of a routing strategy and the request it answers.

A route runs an ordered chain of strategies (`router.strategies.CHAIN`); each either
answers with a `Selection` or returns None to pass the request on. Later strategies
(operator pins, task stickiness, reversion) slot in as one module and one line in the
chain, ahead of or behind the ones here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from router.selection import Selection

if TYPE_CHECKING:
    import numpy as np

    from router.beliefs import PosteriorBook
    from router.exploration import ExplorationStatus
    from router.pins import PinBook
    from router.routing_table import CategoryTable, RoutingTable
    from router.task_assignments import TaskSnapshot


@dataclass(slots=True)
class RouteRequest:
    """One route: the requested category, the table it resolved to, what to avoid.

    `allowed` lists the candidate positions left after `exclude` (None: all of them), so
    strategies never offer an excluded model. `note` prefixes every reason (e.g. that
    the default category stood in for an unknown one). `task` is the stored state of
    `task_id` (None for a route without a task, or a task not seen before).
    """

    requested: str
    table: CategoryTable
    exclude: frozenset[str]
    allowed: list[int] | None
    note: str = ""
    task_id: str | None = None
    task: TaskSnapshot | None = None

    @property
    def category(self) -> str:
        return self.table.category


class RoutingContext(Protocol):
    """What strategies may read: the beliefs, the exploration switch, the seeded RNG,
    the routing table, the operator's pins, the stuck-task threshold."""

    beliefs: PosteriorBook
    exploration: ExplorationStatus
    rng: np.random.Generator
    table: RoutingTable
    pins: PinBook
    stuck_after: int


class Strategy(Protocol):
    """A link of the chain. A strategy class may also set `needs_pins_or_task = True`
    when it can only answer a route that names a task or while pins are in force; the
    core then skips it for other routes."""

    name: str

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        """A Selection, or None to let the next strategy in the chain answer."""


def make_selection(
    request: RouteRequest, index: int, *, strategy: str, is_exploration: bool, reason: str
) -> Selection:
    """The Selection for candidate `index`: fallbacks are the rest of the table's
    order, without the chosen model and without excluded ones."""
    table = request.table
    models = table.models
    model = models[index]
    exclude = request.exclude
    if exclude:
        fallbacks = tuple(m for m in models if m != model and m not in exclude)
    else:
        fallbacks = models[:index] + models[index + 1 :]
    return Selection(
        model=model,
        provider=table.providers[index],
        fallbacks=fallbacks,
        is_exploration=is_exploration,
        reason=request.note + reason,
        category=table.category,
        strategy=strategy,
    )
