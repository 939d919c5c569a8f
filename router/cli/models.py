"""`routerx models`: the model catalogue."""

from __future__ import annotations

from typing import Annotated

import typer

from router.cli.output import console, lines, print_json, text
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
    """List catalogued models, where each stands, what was measured and where it is placed.

    Every score is listed with what it measured; smoke and partial runs are shown but
    never placed. A placement marked * is stale (kept from the last complete
    measurement; `routerx placements` says why).

    Example: routerx models --status new --json
    """
    from sqlmodel import Session, col, select

    from router.scores import describe, score_dict, scores_by_model
    from router.store import get_engine
    from router.store.models import Model, ModelPublic, ModelStatus, Placement

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
        ids = [r.id for r in rows]
        scores = scores_by_model(session, ids)
        places: dict[str, list[Placement]] = {}
        for p in session.exec(select(Placement).where(col(Placement.model_id).in_(ids))
                              .order_by(col(Placement.category))):
            places.setdefault(p.model_id, []).append(p)
        if json_out:
            print_json({"models": [r.model_dump(mode="json") | {
                "scores": [score_dict(x) for x in scores.get(r.id, [])],
                "placements": {p.category: {"layer": p.layer, "stale": p.stale,
                                            "stale_reason": p.stale_reason}
                               for p in places.get(r.id, [])},
            } for r in rows]})
            return
        measured = {m: lines(f"{describe(x)} {'placed' if x.placed else 'not placed'}"
                             for x in xs) for m, xs in scores.items()}
    from rich.table import Table

    table = Table(title=f"{len(rows)} model(s)")
    table.add_column("id", no_wrap=True)
    for column in ("kind", "status", "context", "max out", "$/Mtok in/out", "last seen",
                   "measured", "layers"):
        table.add_column(column)
    for r in rows:
        price = (f"{r.input_price_per_mtok:g}/{r.output_price_per_mtok:g}"
                 if r.input_price_per_mtok is not None and r.output_price_per_mtok is not None
                 else "")
        layers = " ".join(f"{p.category}:{p.layer}{'*' if p.stale else ''}"
                          for p in places.get(r.id, []))
        table.add_row(text(r.id), text(r.kind), text(r.status), str(r.context_window or ""),
                      str(r.max_output_tokens or ""), price, f"{r.last_seen:%Y-%m-%d %H:%M}",
                      measured.get(r.id, ""), text(layers))
    console.print(table)
    for r in rows:
        if r.status_reason and r.status in (ModelStatus.FAILED, ModelStatus.ASSESSED):
            console.print(text(f"{r.id}: {r.status_reason}"), highlight=False)
