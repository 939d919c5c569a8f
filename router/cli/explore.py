"""`routerx explore`: switch exploration mode on or off for every router on this store."""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.output import console, markup, print_json
from router.errors import InputError

_ACTIONS = ("on", "off", "status")


def explore(
    action: Annotated[str, typer.Argument(help="on, off or status.")],
    mode: Annotated[
        str | None,
        typer.Option(help="balanced, aggressive or conservative (sets budget and prior "
                     "strength defaults)."),
    ] = None,
    budget: Annotated[
        float | None, typer.Option(help="Percent of routes that are Thompson rounds, 0-100.")
    ] = None,
    prior_strength: Annotated[
        float | None,
        typer.Option("--prior-strength", help="How many outcomes a benchmark pass rate is "
                     "worth in a model's prior."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Turn exploration on or off, or show its state (shared by every router process).

    Example: routerx explore on --mode balanced --budget 20
    """
    from router.exploration import MODES, read_exploration, write_exploration
    from router.store import session_scope

    if action not in _ACTIONS:
        raise InputError(f"unknown action {action!r}; use one of: {', '.join(_ACTIONS)}")
    if action == "status":
        if mode is not None or budget is not None or prior_strength is not None:
            raise InputError("--mode, --budget and --prior-strength apply to `explore on`")
        with session_scope() as session:
            status = read_exploration(session)
    elif action == "on":
        with session_scope() as session:
            status = write_exploration(
                session, active=True, mode=mode, budget=budget, prior_strength=prior_strength
            )
    else:
        with session_scope() as session:
            status = write_exploration(session, active=False, mode=mode, budget=budget)
    if json_out:
        print_json(status.to_dict())
        return
    if status.active:
        console.print(
            f"exploration [bold]on[/]: mode {markup(status.mode)} "
            f"({markup(MODES[status.mode].description)}); "
            f"{status.budget:g}% of routes are Thompson rounds; prior strength "
            f"{status.prior_strength:g}",
            highlight=False,
        )
    else:
        console.print(
            f"exploration [bold]off[/]: routes serve each fallback table's first model "
            f"(next `on` resumes mode {markup(status.mode)}, budget {status.budget:g}%)",
            highlight=False,
        )
