"""`routerx placements`: list the hierarchy, or import one shared by a teammate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from router.cli.output import console, print_json, text

if TYPE_CHECKING:
    from rich.text import Text

app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)


@app.callback(invoke_without_command=True)
def placements(
    ctx: typer.Context,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List placements per category, best first; `import FILE` loads a shared set.

    A stale placement is kept from the model's last complete measurement (a newer run
    failed, or ran under an older protocol) and still routes; the table says why. Below
    the tables: the scores that place nothing (smoke runs, other protocols), and why.
    The --json output is exactly the shape `routerx placements import` reads.

    Example: routerx placements --category code-generation --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from router.placements import list_placements
    from router.scores import describe, unplaced_scores
    from router.store import session_scope

    with session_scope() as session:
        listing = list_placements(session, category)
        unplaced = [] if category else [(s.model_id, describe(s), s.not_placed_reason or "")
                                        for s in unplaced_scores(session)]
    if json_out:
        print_json(listing)
        return
    from rich.table import Table

    if not listing:
        console.print("no placements yet: `routerx placements import FILE.json` or "
                      "`routerx assess`")
        return
    for cat, entries in listing.items():
        table = Table(title=text(f"{cat}: {len(entries)} model(s), best first"))
        for column in ("#", "model", "layer", "score", "pass rate", "provisional"):
            table.add_column(column)
        stale = any(e["stale"] for e in entries)
        if stale:
            table.add_column("stale: why", overflow="fold")
        for i, e in enumerate(entries, start=1):
            rate = "" if e["pass_rate"] is None else f"{e['pass_rate']:.3f}"
            cells: list[str | Text] = [str(i), text(e["model"]), str(e["layer"]),
                                       f"{e['score']:.3f}", rate,
                                       "yes" if e["provisional"] else ""]
            if stale:
                cells.append(text(e["stale_reason"] or "stale") if e["stale"] else "")
            table.add_row(*cells)
        console.print(table)
    if unplaced:
        table = Table(title="measured, not placed")
        for column in ("model", "score", "why not placed"):
            table.add_column(column, overflow="fold")
        for model, what, why in unplaced:
            table.add_row(text(model), text(what), text(why))
        console.print(table)


@app.command("import")
def import_placements(
    file: Annotated[Path, typer.Argument(help="JSON in the shape `placements --json` prints.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load placements from FILE; all or nothing (a bad entry changes nothing).

    Example: routerx placements import team-hierarchy.json
    """
    from router.placements import import_placements as do_import
    from router.placements import read_placements_file
    from router.store import session_scope

    parsed = read_placements_file(file)
    with session_scope() as session:
        summary = do_import(session, parsed, source=str(file))
    if json_out:
        print_json({
            "categories": summary.categories,
            "placements": summary.placements,
            "new_models": list(summary.new_models),
            "removed": summary.removed,
            "fallback_versions": summary.fallback_versions,
            "placements_version": summary.placements_version,
        })
        return
    console.print(text(
        f"imported {summary.placements} placement(s) in {summary.categories} category(ies) "
        f"from {file}; {len(summary.new_models)} new model(s) catalogued, "
        f"{summary.removed} placement(s) removed; placements version "
        f"{summary.placements_version}"
    ), highlight=False)
