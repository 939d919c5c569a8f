"""The report as payloads for Prefect artifacts, without importing Prefect.

`router` never imports Prefect; the assessment flow's task publishes what this returns:

    art = report_artifacts()
    create_link_artifact(key=art.link_key, link=art.link, link_text="routerx report")
    create_markdown_artifact(key=art.markdown_key, markdown=art.markdown)
    for t in art.tables:
        create_table_artifact(key=t.key, table=t.rows, description=t.description)

The markdown carries the charts as PNG data URIs, because the Prefect UI renders images
from data URIs in markdown artifacts but would not fetch a file:// link from the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.report import charts
from router.report.sections import Chart, Note, Section, Table
from router.report.write import write_report

KEY_PREFIX = "routerx-report"


@dataclass(frozen=True)
class ArtifactTable:
    key: str                      # a valid Prefect artifact key (a-z, 0-9, dashes)
    description: str
    rows: list[dict[str, Any]]    # one dict per row: create_table_artifact's `table`


@dataclass(frozen=True)
class ReportArtifacts:
    report_path: Path             # the report.html written alongside
    link: str                     # file:// URI of report_path
    link_key: str
    markdown: str                 # headline, notes and every chart as an inline PNG
    markdown_key: str
    tables: list[ArtifactTable]
    empty: bool                   # the store had nothing to report yet


def report_artifacts(database_url: str | None = None, out_dir: Path | None = None,
                     dpi: int = 80) -> ReportArtifacts:
    """Write the HTML report (to `out_dir`, default as `routerx report`) and return its
    link, a markdown artifact with the charts, and one table per report table."""
    written = write_report(out_dir, database_url)
    data = written.data
    lines = [f"# routerx report ({data.generated_at:%Y-%m-%d %H:%M} UTC)", "",
             f"Full page: `{written.path}`", ""]
    tables: list[ArtifactTable] = []
    if data.empty:
        lines.append("Nothing to report yet: no placements, scores or live outcomes.")
    for section in written.sections:
        lines += _markdown(section, dpi)
        tables += [ArtifactTable(f"{KEY_PREFIX}-{b.key}", b.title, b.records())
                   for b in section.blocks if isinstance(b, Table)]
    return ReportArtifacts(
        report_path=written.path, link=written.path.resolve().as_uri(),
        link_key=f"{KEY_PREFIX}-link", markdown="\n".join(lines) + "\n",
        markdown_key=f"{KEY_PREFIX}-charts", tables=tables, empty=data.empty)


def _markdown(section: Section, dpi: int) -> list[str]:
    lines = [f"## {section.heading}", ""]
    if section.intro:
        lines += [section.intro, ""]
    for block in section.blocks:
        if isinstance(block, Note):
            lines += [f"> {block.text}", ""]
        elif isinstance(block, Chart):
            png = charts.render(block.build, "png", dpi=dpi)
            if isinstance(png, bytes):
                lines += [f"![{block.title}]({charts.png_data_uri(png)})", ""]
    return lines
