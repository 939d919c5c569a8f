"""`routerx report`: write the HTML report with charts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from router.cli.output import print_json


def report(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Directory for report.html (default $XDG_DATA_HOME/routerx/reports).")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Write one self-contained HTML page: hierarchy and leaderboard per category, pass@1
    with intervals, cost per solved task with the Pareto frontier, latency, and the
    posteriors learned from live outcomes. Opens offline (charts are inline SVG).

    Example: routerx report --out ./reports && xdg-open ./reports/report.html
    """
    from router.report.write import write_report

    if json_out:
        print_json(write_report(out).summary())
        return
    from router.cli.output import console, err_console, text

    with err_console.status("rendering the report"):
        written = write_report(out)
    from rich.table import Table

    data = written.data
    table = Table(title="routerx report", show_header=False)
    table.add_column("what")
    table.add_column("value")
    for label, value in (("models", str(len(data.models))),
                         ("categories", ", ".join(sorted(data.placements)) or "none"),
                         ("benchmarks", ", ".join(data.benchmarks) or "none"),
                         ("live outcomes", str(data.outcome_count)),
                         ("size", f"{written.size_bytes / 1024:.0f} KiB")):
        table.add_row(label, text(value))
    console.print(table)
    if written.data.empty:
        console.print("the store is empty: the page says there is nothing to report yet")
    console.print(text(f"wrote {written.path}"), highlight=False, soft_wrap=True)
