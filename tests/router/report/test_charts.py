"""Chart text: outside values (model ids, categories, benchmarks) drawn literally."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime

import numpy as np
import pytest

from router.report import charts
from router.report.data import PlacementRow, PosteriorSeries, ScoreRow

T0 = datetime(2026, 3, 1, tzinfo=UTC)
ESC = "old/\x1b[31mred"  # stored by a routerx from before ids were checked on entry
MATH = "p/$x^2$"  # two dollars: matplotlib would typeset it as mathematics
SHOWN = ("old/\\x1b[31mred", "p/$x^2$")


def _texts(svg: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", svg, re.S)]


def _score(model: str) -> ScoreRow:
    return ScoreRow(model=model, benchmark="bench\x07", protocol="v1", n_tasks=10,
                    n_samples=10, pass_at_1=0.5, ci_low=0.3, ci_high=0.7, latency_p50_ms=900.0,
                    latency_p95_ms=1500.0, cost_per_solved_usd=0.01, computed_at=T0)


def _series(model: str) -> PosteriorSeries:
    return PosteriorSeries(category="cat\x1b", model=model, times=[T0, T0],
                           position=np.array([0, 1]), mean=np.array([0.5, 0.6]),
                           sd=np.array([0.1, 0.1]), outcomes=2, successes=1, explored=0)


BUILDS = {
    "hierarchy": lambda: charts.hierarchy_figure(
        [PlacementRow("cat", m, 1, 1.0 - i, False, 0.5, T0) for i, m in enumerate((ESC, MATH))]),
    "pass@1": lambda: charts.pass_at_1_figure("bench\x07", [_score(ESC), _score(MATH)]),
    "cost": lambda: charts.cost_figure("bench\x07", [_score(ESC), _score(MATH)]),
    "latency": lambda: charts.latency_figure("bench\x07", [_score(ESC), _score(MATH)]),
    "posterior": lambda: charts.posterior_figure("cat\x1b", [_series(ESC), _series(MATH)]),
}


@pytest.mark.parametrize("chart", list(BUILDS))
def test_control_characters_and_dollars_in_ids_are_drawn_literally(chart: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Glyph 27 ... missing from font(s)"
        svg = charts.render(BUILDS[chart], "svg")
        charts.render(BUILDS[chart], "png")
    assert isinstance(svg, str)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", svg)  # not allowed in XML
    text = " ".join(_texts(svg))
    for shown in SHOWN:
        assert shown in text
    if chart != "hierarchy":
        assert "bench\\x07" in text or "cat\\x1b" in text


def test_label_matches_the_cli_escaping() -> None:
    from router.cli.output import visible

    assert charts.label(ESC) == visible(ESC) == "old/\\x1b[31mred"
    assert charts.label("a/b$c") == "a/b\\$c"
    assert charts.label("openai/gpt-5.2") == "openai/gpt-5.2"
