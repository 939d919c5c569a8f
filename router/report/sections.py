"""The report's content as format-free blocks: charts to draw, tables, notes.

One description serves two renderings: the HTML page (`router.report.html`, SVG charts)
and the Prefect artifacts of an assessment run (`router.report.artifacts`, PNG charts
and table artifacts), so the two can never disagree about what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from router.report import charts
from router.report.data import ReportData, ScoreRow

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    build: Callable[[], Figure | None]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    formats: dict[str, str] = field(default_factory=dict)  # column -> format spec

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Note:
    text: str


Block = Chart | Table | Note


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    intro: str
    blocks: list[Block]


def slug(*parts: str) -> str:
    """Lower-case letters, digits and dashes: valid as an HTML id and a Prefect key."""
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


def build_sections(data: ReportData) -> list[Section]:
    sections = [_category(data, c) for c in sorted(data.placements)]
    if data.scores or data.unplaced:
        sections.append(_pass_at_1(data))
    if data.scores:
        sections += [_cost(data), _latency(data)]
    sections.append(_posteriors(data))
    return sections


def _category(data: ReportData, category: str) -> Section:
    rows = data.placements[category]
    table = Table(
        key=slug("leaderboard", category), title=f"{category}: leaderboard, best first",
        columns=["rank", "model", "layer", "rank_score", "provisional", "pass_rate", "stale"],
        rows=[[i, r.model, r.layer, round(r.rank_score, 4), r.provisional,
               None if r.pass_rate is None else round(r.pass_rate, 4),
               (r.stale_reason or "stale") if r.stale else ""]
              for i, r in enumerate(rows, start=1)],
        formats={"rank_score": ".3f", "pass_rate": ".3f"})
    chart = Chart(slug("hierarchy", category), f"{category}: hierarchy (layers 1-6)",
                  lambda: charts.hierarchy_figure(rows))
    provisional = sum(r.provisional for r in rows)
    stale = sum(r.stale for r in rows)
    intro = (f"{len(rows)} model(s) placed; layer 1 is tried first. "
             + (f"{provisional} placement(s) are provisional: with fewer than three models "
                "to compare, layers come from absolute pass rates. " if provisional else "")
             + (f"{stale} placement(s) are stale: kept from the model's last complete "
                "measurement until a new complete run replaces it (the table says why); "
                "they still route." if stale else ""))
    return Section(slug("category", category), f"Category: {category}", intro, [chart, table])


def _chart(kind: str, title: str, bench: str, rows: list[ScoreRow],
           draw: Callable[[str, list[ScoreRow]], Figure | None]) -> Chart:
    return Chart(slug(kind, bench), f"{bench}: {title}", lambda: draw(bench, rows))


def _per_benchmark(data: ReportData, blocks: Callable[[str, list[ScoreRow]], list[Block]]
                   ) -> list[Block]:
    """The blocks of every benchmark in turn, each given its scores best first."""
    return [b for bench in data.benchmarks for b in blocks(bench, data.scores_for(bench))]


def _listed(what: str, models: list[str]) -> list[Block]:
    """A note naming the models left off a chart, so none silently disappears."""
    return [Note(f"{what}: {', '.join(models)}")] if models else []


def _pass_at_1(data: ReportData) -> Section:
    def blocks(bench: str, rows: list[ScoreRow]) -> list[Block]:
        return [_chart("pass-at-1", "pass@1", bench, rows, charts.pass_at_1_figure), Table(
            key=slug("scores", bench), title=f"{bench}: scores",
            columns=["model", "pass_at_1", "ci_low", "ci_high", "tasks", "samples", "protocol",
                     "stopped_early"],
            rows=[[r.model, round(r.pass_at_1, 4), round(r.ci_low, 4), round(r.ci_high, 4),
                   r.n_tasks, r.n_samples, r.protocol, r.stopped_early] for r in rows],
            formats={"pass_at_1": ".3f", "ci_low": ".3f", "ci_high": ".3f"})]

    unplaced: list[Block] = [Table(
        key="unplaced-scores", title="measured, not placed",
        columns=["model", "score", "why_not_placed"],
        rows=[[u.model, u.what, u.reason] for u in data.unplaced])] if data.unplaced else []
    return Section("pass-at-1", "pass@1 per benchmark",
                   "Bars are pass@1; whiskers its 95% confidence interval over tasks. Only "
                   "the scores that place models are drawn (the placement protocol's "
                   "measurements, like with like); smoke runs, other protocols and other "
                   "sample counts are listed below the charts, never mixed in. A score with "
                   "`stopped_early` is adaptive (`routerx assess --adaptive`): its run "
                   "stopped once the model's layer was decided, and it is placed as the "
                   "full run it decided (docs/adaptive.md).",
                   _per_benchmark(data, blocks) + unplaced)


def _cost(data: ReportData) -> Section:
    def blocks(bench: str, rows: list[ScoreRow]) -> list[Block]:
        return [
            _chart("cost", "cost per solved task vs pass@1", bench, rows, charts.cost_figure),
            *_listed(f"{bench}: cost unknown (no price, not plotted)",
                     [r.model for r in rows if r.cost_status == "unknown"]),
            *_listed(f"{bench}: solved nothing, so no cost per solved task",
                     [r.model for r in rows if r.cost_status == "nothing solved"]),
            Table(key=slug("cost", bench), title=f"{bench}: cost per solved task",
                  columns=["model", "usd_per_solved", "pass_at_1", "cost"],
                  rows=[[r.model, r.cost_per_solved_usd, round(r.pass_at_1, 4), r.cost_status]
                        for r in sorted(rows, key=_by_cost)],
                  formats={"usd_per_solved": ".4g", "pass_at_1": ".3f"})]

    return Section("cost", "Cost per solved task against score",
                   "The Pareto frontier joins the models that no other model beats on both "
                   "cost and pass@1. Models whose cost is unknown are listed, never plotted "
                   "at zero.", _per_benchmark(data, blocks))


def _by_cost(row: ScoreRow) -> tuple[int, float, str]:
    cost = row.cost_per_solved_usd
    return (0 if cost is not None else 1, cost if cost is not None else 0.0, row.model)


def _latency(data: ReportData) -> Section:
    def blocks(bench: str, rows: list[ScoreRow]) -> list[Block]:
        return [
            _chart("latency", "latency p50 / p95", bench, rows, charts.latency_figure),
            *_listed(f"{bench}: latency not measured",
                     [r.model for r in rows if r.latency_p50_ms is None]),
            Table(key=slug("latency", bench), title=f"{bench}: latency (ms)",
                  columns=["model", "p50_ms", "p95_ms"],
                  rows=[[r.model, _round(r.latency_p50_ms, 1), _round(r.latency_p95_ms, 1)]
                        for r in rows],
                  formats={"p50_ms": ",.0f", "p95_ms": ",.0f"})]

    return Section("latency", "Latency p50 / p95 per model",
                   "Wall time per completion as measured during assessment.",
                   _per_benchmark(data, blocks))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _posteriors(data: ReportData) -> Section:
    intro = ("From live outcomes posted by the router: each model's posterior mean of "
             "success, Beta(1 + successes, 1 + failures) after every outcome (no discount, "
             "uniform prior), with a band of one posterior standard deviation.")
    if not data.posteriors:
        return Section("posteriors", "Exploration posteriors over time", intro,
                       [Note("No live outcomes yet: they appear once an agent reports "
                             "results (`routerx outcome`, or POST /v1/outcome).")])
    blocks: list[Block] = []
    for category, series in data.posteriors.items():
        blocks.append(Chart(slug("posterior", category), f"{category}: posteriors",
                            partial(charts.posterior_figure, category, series)))
        blocks.append(Table(
            key=slug("posterior", category), title=f"{category}: live outcomes",
            columns=["model", "outcomes", "successes", "explored", "posterior_mean",
                     "posterior_sd"],
            rows=[[s.model, s.outcomes, s.successes, s.explored, round(s.final_mean, 4),
                   round(s.final_sd, 4)] for s in series],
            formats={"posterior_mean": ".3f", "posterior_sd": ".3f"}))
    return Section("posteriors", "Exploration posteriors over time", intro, blocks)
