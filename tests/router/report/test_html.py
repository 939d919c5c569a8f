"""The rendered page: content per section, self-contained, and the empty store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from router.errors import InputError
from router.report.data import load_report_data
from router.report.html import render_html
from router.report.write import write_report
from tests.router.report.conftest import CLAUDE, GPT, LLAMA, MODELS, QWEN, seed

SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Rendered once for the module: drawing nine charts takes seconds."""
    url = f"sqlite:///{tmp_path_factory.mktemp('page') / 'seeded.db'}"
    seed(url)
    return render_html(load_report_data(url))


def _element(page: str, tag: str, element_id: str) -> str:
    match = re.search(rf'<{tag} id="{re.escape(element_id)}".*?</{tag}>', page, re.S)
    assert match, f"no <{tag} id={element_id!r}>"
    return match.group(0)


def _texts(fragment: str) -> list[str]:
    """The text of every SVG <text> element (chart labels, kept as text)."""
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b.*?</text>", fragment, re.S)]


def test_every_section_and_model_is_on_the_page(page: str) -> None:
    for section in ("category-bug-fix", "category-code-generation", "pass-at-1", "cost",
                    "latency", "posteriors"):
        assert f'<section id="{section}">' in page
        assert f'href="#{section}"' in page
    for model in MODELS:
        assert model in page
    assert page.count("<svg ") == 9  # 2 hierarchies, 2 pass@1, 2 cost, 2 latency, 1 posterior


def test_hierarchy_chart_and_leaderboard_in_fallback_order(page: str) -> None:
    chart = _texts(_element(page, "figure", "chart-hierarchy-code-generation"))
    labels = [t for t in chart if t.startswith("L")]
    assert labels == [f"L1  {GPT}", f"L1  {CLAUDE}", f"L3  {LLAMA}", f"L5  {QWEN}"]
    table = _element(page, "table", "table-leaderboard-code-generation")
    rows = re.findall(r"<tr><td[^>]*>(\d+)</td><td>([^<]+)</td><td[^>]*>(\d)</td>"
                      r"<td[^>]*>([-\d.]+)</td><td>(yes|no)</td><td[^>]*>([\d.—]+)</td>", table)
    assert rows == [("1", GPT, "1", "1.210", "no", "0.900"),
                    ("2", CLAUDE, "1", "1.050", "no", "0.880"),
                    ("3", LLAMA, "3", "0.120", "no", "0.600"),
                    ("4", QWEN, "5", "-0.740", "no", "0.550")]
    assert "provisional" in " ".join(_texts(_element(page, "figure", "chart-hierarchy-bug-fix")))


def test_pass_at_1_chart_shows_intervals(page: str) -> None:
    texts = _texts(_element(page, "figure", "chart-pass-at-1-humaneval"))
    assert f"{GPT}  (n=50)" in texts
    assert "0.900 [0.84, 0.94]" in texts
    assert "0.550 [0.45, 0.65]" in texts


def test_cost_chart_plots_known_costs_only_and_lists_unknown(page: str) -> None:
    texts = _texts(_element(page, "figure", "chart-cost-humaneval"))
    assert {GPT, CLAUDE, QWEN} <= set(texts)  # the free local model is plotted (at $0)
    assert LLAMA not in texts  # unknown cost: never plotted at zero
    assert "$0" in texts
    assert f"humaneval: cost unknown (no price, not plotted): {LLAMA}" in page
    mbpp = _texts(_element(page, "figure", "chart-cost-mbpp"))
    assert CLAUDE in mbpp and QWEN not in mbpp
    assert f"mbpp: solved nothing, so no cost per solved task: {QWEN}" in page


def test_latency_and_posteriors(page: str) -> None:
    texts = _texts(_element(page, "figure", "chart-latency-humaneval"))
    assert "p50 800 / p95 2,100 ms" in texts
    assert "p50 300 / p95 n/a ms" in texts  # p95 unknown is said, not drawn as 0
    assert "mbpp: latency not measured: " + QWEN in page
    post = _texts(_element(page, "figure", "chart-posterior-code-generation"))
    assert f"{GPT} (4 outcomes)" in post and f"{CLAUDE} (2 outcomes)" in post
    table = _element(page, "table", "table-posterior-code-generation")
    assert re.search(rf"<td>{re.escape(GPT)}</td><td[^>]*>4</td><td[^>]*>3</td>"
                     r"<td[^>]*>0</td><td[^>]*>0.667</td>", table)


def test_page_is_self_contained(page: str) -> None:
    assert "<script" not in page and "<link" not in page and "@import" not in page
    refs = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert refs and all(r.startswith("#") for r in refs), refs
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {f"#{i}" for i in
                                                        re.findall(r'id="([^"]+)"', page)}
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= SVG_NAMESPACES
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "charts must not share element ids"


def test_empty_store_says_nothing_yet(tmp_path: Path) -> None:
    written = write_report(tmp_path / "out", f"sqlite:///{tmp_path / 'empty.db'}")
    page = written.path.read_text(encoding="utf-8")
    assert written.data.empty
    assert "Nothing to report yet" in page and "routerx assess" in page
    assert "<svg" not in page


def test_default_directory_and_no_temp_files(seeded_sqlite: str, tmp_path: Path) -> None:
    written = write_report(None, seeded_sqlite)
    assert written.path == tmp_path / "xdg-data" / "routerx" / "reports" / "report.html"
    assert written.size_bytes == len(written.path.read_bytes())
    again = write_report(None, seeded_sqlite)  # replaces the page in place
    assert sorted(p.name for p in again.path.parent.iterdir()) == ["report.html"]


def test_out_must_be_a_writable_directory(seeded_sqlite: str, tmp_path: Path) -> None:
    afile = tmp_path / "not-a-dir"
    afile.write_text("x")
    with pytest.raises(InputError, match="is a file; pass a directory"):
        write_report(afile, seeded_sqlite)
    with pytest.raises(InputError, match="cannot write .*report.html.*writable directory"):
        write_report(afile / "reports", seeded_sqlite)  # a directory under a file


def test_stale_placements_and_unplaced_scores_are_shown_with_their_reasons(page: str) -> None:
    bug_fix = _element(page, "section", "category-bug-fix")
    assert "1 placement(s) are stale" in bug_fix
    assert "swebench: the newest run failed: HTTP 401" in bug_fix
    scores = _element(page, "section", "pass-at-1")
    assert "measured, not placed" in scores
    assert "humaneval 1.000 (first 3, 3 tasks, 1 sample, t=0)" in scores
    assert "smoke or partial run (first 3: 3 task(s))" in scores
    # the smoke run's 1.000 is not a bar of the pass@1 chart
    chart = _texts(_element(page, "figure", "chart-pass-at-1-humaneval"))
    assert not any("1.00" in t for t in chart)
