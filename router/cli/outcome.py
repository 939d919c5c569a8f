"""`routerx outcome`: tell the router how a task went, so it learns."""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.output import console, print_json, text
from router.errors import InputError

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def parse_bool(text: str, option: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InputError(f"{option} must be true or false, got {text!r}")


def outcome(
    model: Annotated[str, typer.Option(help="The model that ran the task, provider/model.")],
    category: Annotated[str, typer.Option(help="The category it was routed for.")],
    success: Annotated[str, typer.Option(help="true or false.")],
    accuracy: Annotated[
        float | None, typer.Option(help="Partial credit in [0, 1], e.g. share of tests passed.")
    ] = None,
    latency_ms: Annotated[float | None, typer.Option("--latency-ms", help="Wall time.")] = None,
    cost_usd: Annotated[float | None, typer.Option("--cost-usd", help="What it cost.")] = None,
    tokens_in: Annotated[int | None, typer.Option("--tokens-in")] = None,
    tokens_out: Annotated[int | None, typer.Option("--tokens-out")] = None,
    task_id: Annotated[
        str | None,
        typer.Option("--task-id", help="The task id given to `routerx route`: failures "
                     "move that task to another model."),
    ] = None,
    complexity: Annotated[str | None, typer.Option(help="e.g. low, medium, high.")] = None,
    file_size: Annotated[int | None, typer.Option("--file-size", help="Bytes.")] = None,
    language: Annotated[str | None, typer.Option(help="e.g. python.")] = None,
    is_exploration: Annotated[
        bool,
        typer.Option("--is-exploration", help="The route said is_exploration: true."),
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Record one task outcome; an unknown model or category is refused, not stored.

    Example: routerx outcome --model openai/gpt-5.2 --category code-generation --success true
    --latency-ms 5400 --cost-usd 0.012
    """
    from router.ids import check_category, check_model_id
    from router.router import Router

    check_model_id(model, "--model")
    check_category(category, "--category")
    ok = parse_bool(success, "--success")
    outcome_id = Router().record(
        model,
        category=category,
        success=ok,
        accuracy=accuracy,
        latency_ms=latency_ms,
        cost_usd=cost_usd,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        task_id=task_id,
        complexity=complexity,
        file_size=file_size,
        language=language,
        is_exploration=is_exploration,
    )
    if json_out:
        print_json({"id": outcome_id, "model": model, "category": category, "success": ok})
        return
    verdict = "success" if ok else "failure"
    console.print(text(f"recorded outcome #{outcome_id}: {model} in {category}, {verdict}"),
                  highlight=False)
