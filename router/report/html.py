"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script,
no external URL, so it opens offline, from a file, mail attachment or artifact store."""

from __future__ import annotations

from html import escape
from typing import Any

from router.report import charts
from router.report.data import ReportData
from router.report.sections import Block, Chart, Note, Section, Table, build_sections

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#d0d7de;font-size:13px}
nav{padding:10px 32px;background:#fff;border-bottom:1px solid #d0d7de;font-size:14px}
nav a{margin-right:14px;color:#0969da;text-decoration:none}
main{padding:8px 32px 40px;max-width:1100px}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:18px 0;
 padding:6px 20px 16px}
h2{font-size:18px;border-bottom:1px solid #d8dee4;padding-bottom:6px}
h3{font-size:14px;margin:18px 0 6px}
figure{margin:8px 0}
svg.chart{width:100%;height:auto;max-width:900px}
table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
th,td{border:1px solid #d8dee4;padding:3px 10px;text-align:left}
th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}
p.note{font-size:13px;color:#57606a;background:#fff8c5;border:1px solid #d4a72c66;
 padding:6px 10px;border-radius:4px}
.empty{font-size:16px;padding:24px 20px}
code{background:#eff1f3;padding:1px 4px;border-radius:3px}
header code{background:#32383f;color:#fff}
""".strip()


def render_html(data: ReportData, sections: list[Section] | None = None) -> str:
    sections = build_sections(data) if sections is None else sections
    head = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>routerx report</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n")
    summary = (f"{len(data.models)} model(s) · {len(data.placements)} categor"
               f"{'y' if len(data.placements) == 1 else 'ies'} · {len(data.benchmarks)} "
               f"benchmark(s) · {data.outcome_count} live outcome(s)")
    header = ("<header>\n<h1>routerx report</h1>\n"
              f"<p>generated {escape(f'{data.generated_at:%Y-%m-%d %H:%M:%S} UTC')} from "
              f"<code>{escape(data.store)}</code></p>\n<p id=\"summary\">{escape(summary)}</p>\n"
              "</header>\n")
    if data.empty:
        body = ("<main>\n<section id=\"nothing-yet\" class=\"empty\">\n"
                "<h2>Nothing to report yet</h2>\n"
                "<p>The store has no placements, no benchmark scores and no live outcomes. "
                "Assess models with <code>routerx assess --new</code> (or try "
                "<code>routerx demo</code>), load a shared hierarchy with "
                "<code>routerx placements import FILE.json</code>, and record outcomes with "
                "<code>routerx outcome</code>; then run <code>routerx report</code> again."
                "</p>\n</section>\n</main>\n")
        return head + header + body + "</body>\n</html>\n"
    nav = "<nav>" + "".join(f"<a href=\"#{s.key}\">{escape(s.heading)}</a>"
                            for s in sections) + "</nav>\n"
    main = "<main>\n" + "".join(_section(s) for s in sections) + "</main>\n"
    return head + header + nav + main + "</body>\n</html>\n"


def _section(section: Section) -> str:
    parts = [f"<section id=\"{section.key}\">\n<h2>{escape(section.heading)}</h2>\n"]
    if section.intro:
        parts.append(f"<p>{escape(section.intro)}</p>\n")
    parts += [_block(b) for b in section.blocks]
    parts.append("</section>\n")
    return "".join(parts)


def _block(block: Block) -> str:
    if isinstance(block, Note):
        return f"<p class=\"note\">{escape(block.text)}</p>\n"
    if isinstance(block, Chart):
        svg = charts.render(block.build, "svg", prefix=f"{block.key}-")
        if svg is None:
            return ""
        return (f"<figure id=\"chart-{block.key}\" aria-label=\"{escape(block.title)}\">\n"
                f"{svg}\n</figure>\n")
    return _table(block)


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = []
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            text = escape(_format(value, table.formats.get(column)))
            cells.append(f"<td class=\"num\">{text}</td>" if numeric else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<h3>{escape(table.title)}</h3>\n<table id=\"table-{table.key}\">\n"
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows)
            + "\n</tbody>\n</table>\n")


def _format(value: Any, spec: str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and spec:
        return format(value, spec)
    return str(value)
