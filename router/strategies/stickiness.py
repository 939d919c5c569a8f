"""Task stickiness and reversion: a task keeps its model while it succeeds.

Three answers, from the task's stored state (`router.task_assignments`):

- stuck: the task failed `stuck_after` times in a row with its model (the plan's
  stuck-bug detector), so it moves to the first model of the fallback chain it has not
  failed with;
- reverted: its last failure was an exploration choice, so it leaves exploration for
  the best-known model (highest posterior mean) it has not failed with;
- pinned out: an operator excluded its model from the category since, so it moves to
  the first model of the fallback chain it has not failed with;
- sticky: otherwise it keeps its model, so a task does not hop between models midway.

With no state (a new task, or none named) it passes, after narrowing the request so
that later strategies never offer a model the task failed with.
"""

from __future__ import annotations

from router.errors import RoutingError
from router.selection import Selection
from router.strategies.base import RouteRequest, RoutingContext, make_selection


class TaskStickinessStrategy:
    name = "task-stickiness"
    needs_pins_or_task = True

    def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
        task = request.task
        if task is None:
            return None
        models = request.table.models
        positions = range(len(models)) if request.allowed is None else request.allowed
        failed = frozenset(task.failed_models)
        usable = [i for i in positions if models[i] not in failed]
        stuck = task.consecutive_failures >= ctx.stuck_after
        if task.model is not None and (stuck or task.revert):
            if not usable:
                raise _exhausted(task.task_id, request.category, failed)
            if stuck:
                index = usable[0]
                reason = (
                    f"task {task.task_id!r} failed {task.consecutive_failures} times in a "
                    f"row with {task.model}: next model of the fallback chain it has not "
                    "failed with"
                )
            else:
                mean = ctx.beliefs.category(request.category).mean
                index = max(usable, key=lambda i: float(mean[i]))
                reason = (
                    f"reverted: exploration's choice {task.model} failed on task "
                    f"{task.task_id!r}; best-known model it has not failed with "
                    f"(posterior mean {float(mean[index]):.3f})"
                )
            return make_selection(
                request, index, strategy=self.name, is_exploration=False, reason=reason
            )
        if task.model in request.table.pinned_out:
            if not usable:
                raise _exhausted(task.task_id, request.category, failed)
            return make_selection(
                request, usable[0], strategy=self.name, is_exploration=False,
                reason=f"task {task.task_id!r} was on {task.model}, which an operator "
                f"excluded from {request.category!r}: next model of the fallback chain it "
                "has not failed with",
            )
        if task.model in models and task.model not in request.exclude:
            runs = task.consecutive_failures
            how = "its outcomes so far succeeded" if not runs else (
                f"{runs} failure(s) in a row; it moves on after {ctx.stuck_after}"
            )
            return make_selection(
                request,
                models.index(task.model),
                strategy=self.name,
                is_exploration=task.explored,
                reason=f"sticky: task {task.task_id!r} keeps {task.model} "
                f"(chosen by {task.strategy or 'its outcomes'}); {how}",
            )
        if failed and usable and len(usable) < len(positions):
            request.allowed = usable
            request.exclude = request.exclude | failed
        return None


def _exhausted(task_id: str, category: str, failed: frozenset[str]) -> RoutingError:
    return RoutingError(
        f"task {task_id!r} has failed with every candidate of category {category!r} left "
        f"to it ({', '.join(sorted(failed))}); start a new task id or pin a model with "
        "`routerx pin --task-id`"
    )
