"""`routerx pin` / `routerx unpin`: an operator's override of the router's choice, either
a model to serve (`--model`) or a model never to serve (`--exclude`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from router.cli.output import console, print_json, text
from router.errors import InputError

_EVERY = "(every category)"


def _exclusion_scope(category: str | None, all_categories: bool, command: str) -> str | None:
    """The category of an exclusion (None: every category), or the one-line refusal."""
    if all_categories and category:
        raise InputError(f"routerx {command} --exclude takes --category C or --all-categories, "
                         "not both")
    if not all_categories and not category:
        raise InputError(f"routerx {command} --exclude needs --category C or --all-categories")
    if category:
        from router.ids import check_category

        check_category(category, "--category")
    return category


def _list(json_out: bool) -> None:
    from router.pins import list_pins
    from router.store import session_scope
    from router.store.models import ALL_CATEGORIES

    with session_scope() as session:
        pins = list_pins(session)
    if json_out:
        print_json({"pins": [p.to_dict() for p in pins]})
        return
    table = Table("kind", "category", "task", "model", "expires (UTC)", "note")
    for p in pins:
        expires = "never" if p.expires_at is None else f"{p.expires_at:%Y-%m-%d %H:%M:%S}"
        category = _EVERY if p.category == ALL_CATEGORIES else p.category
        table.add_row(p.kind, text(category), text(p.task_id or "(all)"), text(p.model),
                      expires, text(p.note or ""))
    console.print(table if pins else "no pins in force")


def pin(
    category: Annotated[
        str | None, typer.Option(help="Category to pin, e.g. code-generation.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="The model to serve, provider/model.")] = None,
    exclude: Annotated[
        str | None,
        typer.Option(help="A model never to serve in the category (pin it out), provider/model."),
    ] = None,
    all_categories: Annotated[
        bool,
        typer.Option("--all-categories",
                     help="With --exclude: pin the model out of every category."),
    ] = False,
    for_: Annotated[
        str | None, typer.Option("--for", help="Expire after this long, e.g. 30m, 2h, 1d.")
    ] = None,
    task_id: Annotated[
        str | None, typer.Option("--task-id", help="Pin only this task of the category.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, shown in the route's reason.")] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the pins and exclusions in force.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Pin a model for a category (or one task of it), or pin a model out of a category
    (or of every category); every router sharing the store obeys within its refresh
    interval (ROUTERX_REFRESH_SECONDS).

    A pin beats exploration and task stickiness; a model not in the catalogue, retired
    or excluded is refused. An excluded model is never served in that category, by any
    strategy; a task on it moves to the next model. Excluding the model a pin serves is
    refused: unpin it first.

    Examples:
      routerx pin --category code-generation --model openai/gpt-5.2 --for 2h
      routerx pin --category bug-fix --exclude groq/llama-3-70b --for 1d --note "bad outputs"
      routerx pin --all-categories --exclude groq/llama-3-70b
    """
    if list_:
        _list(json_out)
        return
    from router.durations import parse_duration
    from router.ids import check_category, check_model_id
    from router.router import Router

    duration = parse_duration(for_) if for_ is not None else None
    if exclude is not None:
        if model is not None:
            raise InputError("routerx pin takes --model (serve it) or --exclude (never serve "
                             "it), not both")
        if task_id is not None:
            raise InputError("--exclude applies to a whole category (or --all-categories), "
                             "not one task; pin the task to another model with --model")
        scope = _exclusion_scope(category, all_categories, "pin")
        check_model_id(exclude, "--exclude")
        entry = Router().exclude(scope, exclude, duration=duration, note=note)
        if json_out:
            print_json(entry.to_dict())
            return
        console.print(text(entry.describe()), highlight=False)
        return
    if all_categories:
        raise InputError("--all-categories goes with --exclude: a pin that serves a model "
                         "names one --category")
    if not category or not model:
        raise InputError("routerx pin needs --category and --model, --exclude with "
                         "--category or --all-categories, or --list")
    check_category(category, "--category")
    check_model_id(model, "--model")
    entry = Router().pin(category, model, task_id=task_id, duration=duration, note=note)
    if json_out:
        print_json(entry.to_dict())
        return
    console.print(text(f"pinned {entry.model}: {entry.describe()}"), highlight=False)


def unpin(
    category: Annotated[
        str | None, typer.Option(help="Category whose pin (or exclusion) to remove.")
    ] = None,
    task_id: Annotated[
        str | None, typer.Option("--task-id", help="Remove this task's pin instead.")
    ] = None,
    exclude: Annotated[
        str | None, typer.Option(help="Lift the exclusion of this model instead.")
    ] = None,
    all_categories: Annotated[
        bool,
        typer.Option("--all-categories",
                     help="With --exclude: lift the exclusion from every category."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Remove a pin, or lift an exclusion; routes go back to stickiness, exploration
    and the fallback table.

    Examples:
      routerx unpin --category code-generation
      routerx unpin --category bug-fix --exclude groq/llama-3-70b
      routerx unpin --all-categories --exclude groq/llama-3-70b
    """
    from router.ids import check_category, check_model_id
    from router.router import Router

    if exclude is not None:
        if task_id is not None:
            raise InputError("--exclude applies to a whole category, not one task")
        scope = _exclusion_scope(category, all_categories, "unpin")
        check_model_id(exclude, "--exclude")
        Router().unexclude(scope, exclude)
        if json_out:
            print_json({"unpinned": True, "kind": "exclude", "category": scope or "*",
                        "model": exclude})
            return
        where = f"category {scope!r}" if scope else "every category"
        console.print(text(f"lifted the exclusion of {exclude} from {where}"), highlight=False)
        return
    if all_categories:
        raise InputError("--all-categories goes with --exclude")
    if not category:
        raise InputError("routerx unpin needs --category (and --exclude M to lift an "
                         "exclusion, or --all-categories --exclude M)")
    check_category(category, "--category")
    Router().unpin(category, task_id=task_id)
    if json_out:
        print_json({"unpinned": True, "kind": "pin", "category": category, "task_id": task_id})
        return
    scope = f"task {task_id!r} of {category!r}" if task_id else f"category {category!r}"
    console.print(text(f"unpinned {scope}"), highlight=False)
