"""`routerx pin` / `routerx unpin`: an operator's override of the router's choice."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from router.cli.output import console, print_json, text
from router.errors import InputError


def pin(
    category: Annotated[
        str | None, typer.Option(help="Category to pin, e.g. code-generation.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="The model to serve, provider/model.")] = None,
    for_: Annotated[
        str | None, typer.Option("--for", help="Expire after this long, e.g. 30m, 2h, 1d.")
    ] = None,
    task_id: Annotated[
        str | None, typer.Option("--task-id", help="Pin only this task of the category.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, shown in the route's reason.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the pins in force.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Pin a model for a category (or one task of it); every router sharing the store
    obeys it within its refresh interval (ROUTERX_REFRESH_SECONDS).

    A pin beats exploration and task stickiness; a model not in the catalogue, or
    retired, is refused.

    Example: routerx pin --category code-generation --model openai/gpt-5.2 --for 2h
    """
    from router.pins import list_pins
    from router.router import Router
    from router.store import session_scope

    if list_:
        with session_scope() as session:
            pins = list_pins(session)
        if json_out:
            print_json({"pins": [p.to_dict() for p in pins]})
            return
        table = Table("category", "task", "model", "expires (UTC)", "note")
        for p in pins:
            expires = "never" if p.expires_at is None else f"{p.expires_at:%Y-%m-%d %H:%M:%S}"
            table.add_row(text(p.category), text(p.task_id or "(all)"), text(p.model),
                          expires, text(p.note or ""))
        console.print(table if pins else "no pins in force")
        return
    if not category or not model:
        raise InputError("routerx pin needs --category and --model (or --list)")
    from router.ids import check_category, check_model_id

    check_category(category, "--category")
    check_model_id(model, "--model")
    from router.durations import parse_duration

    duration = parse_duration(for_) if for_ is not None else None
    entry = Router().pin(category, model, task_id=task_id, duration=duration, note=note)
    if json_out:
        print_json(entry.to_dict())
        return
    console.print(text(f"pinned {entry.model}: {entry.describe()}"), highlight=False)


def unpin(
    category: Annotated[str, typer.Option(help="Category whose pin to remove.")],
    task_id: Annotated[
        str | None, typer.Option("--task-id", help="Remove this task's pin instead.")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Remove a pin; routes go back to stickiness, exploration and the fallback table.

    Example: routerx unpin --category code-generation
    """
    from router.ids import check_category
    from router.router import Router

    check_category(category, "--category")
    Router().unpin(category, task_id=task_id)
    if json_out:
        print_json({"unpinned": True, "category": category, "task_id": task_id})
        return
    scope = f"task {task_id!r} of {category!r}" if task_id else f"category {category!r}"
    console.print(text(f"unpinned {scope}"), highlight=False)
