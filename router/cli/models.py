"""`routerx models`: the model catalogue."""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.output import console, print_json, text
from router.errors import InputError


def models(
    status: Annotated[
        str | None,
        typer.Option(help="Only models with this status: new, assessing, assessed, failed, "
                     "retired, catalogued."),
    ] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider's models.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List catalogued models and where each stands.

    Example: routerx models --status new --json
    """
    from sqlmodel import Session, col, select

    from router.store import get_engine
    from router.store.models import Model, ModelPublic, ModelStatus

    if status is not None and status not in {s.value for s in ModelStatus}:
        raise InputError(
            f"unknown status {status!r}; use one of: {', '.join(s.value for s in ModelStatus)}"
        )
    query = select(Model).order_by(col(Model.provider), col(Model.id))
    if status:
        query = query.where(Model.status == status)
    if provider:
        query = query.where(Model.provider == provider)
    with Session(get_engine()) as session:
        rows = [ModelPublic.model_validate(m) for m in session.exec(query).all()]
    if json_out:
        print_json({"models": [r.model_dump(mode="json") for r in rows]})
        return
    from rich.table import Table

    table = Table(title=f"{len(rows)} model(s)")
    table.add_column("id", no_wrap=True)
    for column in ("kind", "status", "context", "max out", "$/Mtok in/out", "last seen"):
        table.add_column(column)
    for r in rows:
        price = (f"{r.input_price_per_mtok:g}/{r.output_price_per_mtok:g}"
                 if r.input_price_per_mtok is not None and r.output_price_per_mtok is not None
                 else "")
        table.add_row(text(r.id), text(r.kind), text(r.status), str(r.context_window or ""),
                      str(r.max_output_tokens or ""), price, f"{r.last_seen:%Y-%m-%d %H:%M}")
    console.print(table)
