"""The report's charts as matplotlib figures, rendered to inline SVG or PNG bytes.

matplotlib is imported inside these functions only: `router` must stay importable, and
`routerx route` fast, without paying for it. Figures are built with the object API
(`matplotlib.figure.Figure`, no pyplot), so no global backend or figure registry is
touched: PNGs are drawn by the Agg canvas, SVGs by the SVG canvas, and several reports
can be rendered from threads of one process (the Prefect worker) side by side.
SVG text is kept as text (`svg.fonttype: none`), so model names on the charts can be
searched and selected in the page. Every outside value drawn (a model id, a category, a
benchmark) goes through `label()`, the charts' counterpart of the CLI's `text()`.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from router.ids import visible
from router.report.data import PlacementRow, PosteriorSeries, ScoreRow
from router.report.shaping import frontier_path, pareto_frontier

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

WIDTH = 9.0  # inches; the page scales the SVG to its column
LAYER_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59", "#d73027")
P50_COLOUR, P95_COLOUR = "#2c7fb8", "#a6bddb"
RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "routerx-report",  # stable ids: the same store renders the same page
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
}


def label(value: object) -> str:
    """An outside value as chart text, drawn literally.

    Control characters (an id stored by an older routerx may hold an ESC) are shown as
    escapes, as the CLI shows them: no font has a glyph for them ("Glyph 27 missing")
    and they are not allowed in the page's SVG. `$` is escaped, since matplotlib reads
    text between two of them as mathematics.
    """
    return visible(value).replace("$", r"\$")


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), layout="constrained")


def _rows_height(rows: int) -> float:
    return max(1.6, 0.75 + 0.3 * rows)


def hierarchy_figure(rows: Sequence[PlacementRow]) -> Figure:
    """One bar per model in fallback order (layer, then rank score), coloured by layer;
    hatched bars are provisional placements (fewer than three models to compare)."""
    fig = _figure(_rows_height(len(rows)))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    scores = np.array([r.rank_score for r in rows])
    colours = [LAYER_COLOURS[r.layer - 1] for r in rows]
    bars = ax.barh(y, scores, color=colours, edgecolor="#333333", linewidth=0.5)
    for bar, row in zip(bars, rows, strict=True):
        if row.provisional:
            bar.set_hatch("///")
    ax.set_yticks(y, [f"L{r.layer}  {label(r.model)}" for r in rows])
    ax.invert_yaxis()
    ax.axvline(0.0, color="#333333", linewidth=0.6)
    ax.set_xlabel("rank score (higher is better; layers 1 best .. 6)")
    _pad_for_labels(ax, scores)
    for yi, (score, row) in enumerate(zip(scores, rows, strict=True)):
        tag = f"{score:.2f}" + (" provisional" if row.provisional else "")
        ax.annotate(tag, (score, yi), xytext=(4 if score >= 0 else -4, 0),
                    textcoords="offset points", va="center",
                    ha="left" if score >= 0 else "right", fontsize=8)
    layers = sorted({r.layer for r in rows})
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor=LAYER_COLOURS[k - 1], label=f"layer {k}")
                       for k in layers], loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=8, frameon=False)
    return fig


def _pad_for_labels(ax: Axes, values: np.ndarray) -> None:
    lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
    span = (hi - lo) or 1.0
    ax.set_xlim(lo - (0.25 * span if lo < 0 else 0.0), hi + 0.3 * span)


def pass_at_1_figure(benchmark: str, rows: Sequence[ScoreRow]) -> Figure:
    """pass@1 with its 95% interval (as stored: Wilson over tasks), best first."""
    fig = _figure(_rows_height(len(rows)))
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    p = np.array([r.pass_at_1 for r in rows])
    err = np.array([[r.pass_at_1 - r.ci_low for r in rows],
                    [r.ci_high - r.pass_at_1 for r in rows]])
    ax.barh(y, p, color="#74a9cf", edgecolor="#2b8cbe", linewidth=0.5)
    ax.errorbar(p, y, xerr=np.clip(err, 0.0, None), fmt="none", ecolor="#08306b",
                elinewidth=1.2, capsize=3)
    ax.set_yticks(y, [f"{label(r.model)}  (n={r.n_tasks})" for r in rows])
    ax.invert_yaxis()
    ax.set_xlim(0.0, 1.12)
    ax.set_xlabel(f"{label(benchmark)} pass@1 with 95% confidence interval")
    for yi, r in enumerate(rows):
        ax.annotate(f"{r.pass_at_1:.3f} [{r.ci_low:.2f}, {r.ci_high:.2f}]", (r.ci_high, yi),
                    xytext=(5, 0), textcoords="offset points", va="center", fontsize=8)
    return fig


def cost_figure(benchmark: str, rows: Sequence[ScoreRow]) -> Figure | None:
    """Cost per solved task (x) against pass@1 (y), Pareto frontier drawn; only rows whose
    cost is known. None when no row has one."""
    known = [r for r in rows if r.cost_status == "known"]
    if not known:
        return None
    cost = np.array([r.cost_per_solved_usd for r in known], dtype=float)
    score = np.array([r.pass_at_1 for r in known])
    on = pareto_frontier(cost, score)
    fig = _figure(3.6)
    ax = fig.add_subplot()
    _cost_scale(ax, cost)
    fx, fy = frontier_path(cost, score)
    ax.step(fx, fy, where="post", color="#d95f02", linewidth=1.4, zorder=1,
            label="Pareto frontier (nothing cheaper scores higher)")
    ax.scatter(cost[on], score[on], s=46, color="#d95f02", edgecolor="black", zorder=3,
               label="on the frontier")
    ax.scatter(cost[~on], score[~on], s=36, color="#bdbdbd", edgecolor="black", zorder=2,
               label="dominated")
    for c, s, r in zip(cost, score, known, strict=True):
        ax.annotate(label(r.model), (c, s), xytext=(5, 4), textcoords="offset points", fontsize=8)
    ax.set_ylim(min(0.0, float(score.min())), 1.05)
    ax.set_xlabel(f"{label(benchmark)}: USD per solved task")
    ax.set_ylabel("pass@1")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def _cost_scale(ax: Axes, cost: np.ndarray) -> None:
    """Log scale for costs spanning orders of magnitude; symlog when a model is free
    (a local model really costs 0, which a log axis cannot show); linear if all are."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    positive = cost[cost > 0]
    if positive.size == 0:
        ax.set_xlim(-0.01, 0.01)
    elif (cost == 0).any():
        low = float(positive.min())
        ax.set_xscale("symlog", linthresh=low)
        ax.set_xlim(-0.05 * low, float(positive.max()) * 3)
    else:
        ax.set_xscale("log")
        ax.set_xlim(float(positive.min()) / 2, float(positive.max()) * 3)
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: "$" + np.format_float_positional(v, precision=6, trim="-")))
    ax.xaxis.set_minor_formatter(NullFormatter())


def latency_figure(benchmark: str, rows: Sequence[ScoreRow]) -> Figure | None:
    """Median and 95th-percentile latency per model, fastest median first; None when no
    row has a measured latency."""
    known = sorted((r for r in rows if r.latency_p50_ms is not None),
                   key=lambda r: (r.latency_p50_ms, r.model))
    if not known:
        return None
    fig = _figure(_rows_height(len(known)))
    ax = fig.add_subplot()
    y = np.arange(len(known))
    p50 = np.array([r.latency_p50_ms for r in known], dtype=float)
    p95 = np.array([r.latency_p95_ms if r.latency_p95_ms is not None else np.nan
                    for r in known], dtype=float)
    ax.barh(y, np.nan_to_num(p95), color=P95_COLOUR, label="p95", height=0.7)
    ax.barh(y, p50, color=P50_COLOUR, label="p50", height=0.45)
    ax.set_yticks(y, [label(r.model) for r in known])
    ax.invert_yaxis()
    top = float(np.nanmax(np.concatenate([p50, p95])))
    ax.set_xlim(0.0, top * 1.35)
    ax.set_xlabel(f"{label(benchmark)}: latency per completion (ms)")
    for yi, (a, b) in enumerate(zip(p50, p95, strict=True)):
        text = f"p50 {a:,.0f} / p95 " + ("n/a" if np.isnan(b) else f"{b:,.0f}") + " ms"
        ax.annotate(text, (np.nanmax([a, b]), yi), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def posterior_figure(category: str, series: Sequence[PosteriorSeries]) -> Figure:
    """Each model's running posterior mean of success (band: one posterior standard
    deviation), against time, or against the outcome count when every outcome of the
    category carries the same timestamp (a batch import)."""
    fig = _figure(3.8)
    ax = fig.add_subplot()
    times = [t for s in series for t in s.times]
    by_time = len(times) > 1 and min(times) != max(times)
    if by_time:
        end: Any = max(times) + (max(times) - min(times)) * 0.03
    else:
        end = max(int(s.position[-1]) for s in series) + 2
    for s in series:
        # the last value is drawn on to the category's end, so it shows as a step too
        x: Any = list(s.times) + [end] if by_time else np.append(s.position + 1, end)
        mean, sd = np.append(s.mean, s.mean[-1]), np.append(s.sd, s.sd[-1])
        plural = "" if s.outcomes == 1 else "s"
        line, = ax.step(x, mean, where="post", linewidth=1.4,
                        label=f"{label(s.model)} ({s.outcomes} outcome{plural})")
        ax.fill_between(x, mean - sd, mean + sd, step="post", alpha=0.15,
                        color=line.get_color(), linewidth=0)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("posterior mean of success")
    if by_time:
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel(f"{label(category)}: time of outcome (UTC)")
    else:
        ax.set_xlabel(f"{label(category)}: outcomes recorded")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


# --- rendering ------------------------------------------------------------------------

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(width|height)="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')


@overload
def render(build: Callable[[], Figure | None], fmt: Literal["svg"], *, prefix: str = "",
           dpi: int = 96) -> str | None: ...
@overload
def render(build: Callable[[], Figure | None], fmt: Literal["png"], *, prefix: str = "",
           dpi: int = 96) -> bytes | None: ...
def render(build: Callable[[], Figure | None], fmt: str, *, prefix: str = "",
           dpi: int = 96) -> str | bytes | None:
    """Build a figure under the report's rc settings and render it: `svg` gives markup
    for inlining (ids prefixed with `prefix`, so several charts share one page without
    clashing); `png` gives the image bytes. None when `build` had nothing to draw."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = build()
        if fig is None:
            return None
        buffer = io.BytesIO()
        if fmt == "svg":
            from matplotlib.backends.backend_svg import FigureCanvasSVG

            FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None})
            return _inline_svg(buffer.getvalue().decode("utf-8"), prefix)
        if fmt == "png":
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig)
            fig.savefig(buffer, format="png", dpi=dpi)
            return buffer.getvalue()
    raise ValueError(f"unknown chart format {fmt!r}; use svg or png")


def _inline_svg(svg: str, prefix: str) -> str:
    svg = _METADATA.sub("", _PROLOGUE.sub("", svg, count=1))
    for _ in range(2):  # drop the fixed width and height; the page sizes it by viewBox
        svg = _SIZE.sub(r"\1", svg, count=1)
    svg = svg.replace("<svg ", '<svg class="chart" role="img" ', 1)
    if prefix:
        ids = set(_IDS.findall(svg))
        pattern = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
        svg = pattern.sub(lambda m: m.group(1) + (prefix + m.group(2) if m.group(2) in ids
                                                  else m.group(2)), svg)
    return svg


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
