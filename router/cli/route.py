"""`routerx route`: which model should the agent use for a task of this category?"""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.output import console, markup, print_json, text


def route(
    category: Annotated[str, typer.Option(help="Task category, e.g. code-generation.")],
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Never choose this model (repeatable), e.g. one "
                     "that just failed."),
    ] = None,
    task_id: Annotated[
        str | None,
        typer.Option("--task-id", help="The agent's task: it keeps its model while it "
                     "succeeds (report outcomes with the same --task-id)."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Choose a model for a task of CATEGORY, with the fallback chain after it.

    Example: routerx route --category code-generation --task-id fix-123 --json
    """
    from router.ids import check_category, check_model_id
    from router.router import Router

    check_category(category, "--category")
    for model in exclude or ():
        check_model_id(model, "--exclude")
    selection = Router().route(category, task_id=task_id, exclude=exclude or ())
    if json_out:
        print_json(selection.to_dict())
        return
    console.print(f"[bold]{markup(selection.model)}[/]  (provider {markup(selection.provider)})",
                  highlight=False)
    if selection.fallbacks:
        console.print(text("fallbacks: " + " -> ".join(selection.fallbacks)), highlight=False)
    console.print(text(f"why: {selection.reason}"), highlight=False, soft_wrap=True)
