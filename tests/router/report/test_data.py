"""Reading the report's data from a seeded store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from router.report.data import load_report_data, store_label
from tests.router.report.conftest import CLAUDE, GPT, LLAMA, QWEN, T0


def test_placements_in_fallback_order_per_category(seeded: str) -> None:
    data = load_report_data(seeded)
    assert list(data.placements) == ["bug-fix", "code-generation"]
    cg = data.placements["code-generation"]
    assert [(p.model, p.layer) for p in cg] == [(GPT, 1), (CLAUDE, 1), (LLAMA, 3), (QWEN, 5)]
    assert data.placements["bug-fix"][0].provisional is True
    assert data.placements["bug-fix"][0].stale is True
    assert "401" in data.placements["bug-fix"][0].stale_reason


def test_only_placed_scores_are_charted_best_first(seeded: str) -> None:
    data = load_report_data(seeded)
    assert data.benchmarks == ["humaneval", "mbpp"]
    assert [(u.model, u.reason.split(" ")[0]) for u in data.unplaced] == [
        (QWEN, "smoke"), (GPT, "protocol")]  # newest first, each with its reason
    assert data.unplaced[0].what == "humaneval 1.000 (first 3, 3 tasks, 1 sample, t=0)"
    he = data.scores_for("humaneval")
    assert [s.model for s in he] == [GPT, CLAUDE, LLAMA, QWEN]
    assert he[0].pass_at_1 == 0.9 and he[0].protocol == "v2"
    status = {s.model: s.cost_status for s in he}
    assert status == {GPT: "known", CLAUDE: "known", LLAMA: "unknown", QWEN: "known"}
    assert [s.cost_status for s in data.scores_for("mbpp")] == ["known", "nothing solved"]


def test_posteriors_are_running_beta_per_model(seeded: str) -> None:
    data = load_report_data(seeded)
    assert data.outcome_count == 6
    series = {s.model: s for s in data.posteriors["code-generation"]}
    gpt, claude = series[GPT], series[CLAUDE]
    # gpt S S F S: Beta(2,1) Beta(3,1) Beta(3,2) Beta(4,2)
    assert gpt.mean.tolist() == pytest.approx([2 / 3, 3 / 4, 3 / 5, 4 / 6])
    assert (gpt.outcomes, gpt.successes, gpt.explored) == (4, 3, 0)
    assert gpt.position.tolist() == [0, 2, 3, 5]  # places in the category's stream
    assert gpt.times[0] == T0
    # claude F S: Beta(1,2) Beta(2,2)
    assert claude.mean.tolist() == pytest.approx([1 / 3, 1 / 2])
    assert claude.explored == 2
    # best final posterior first
    assert [s.model for s in data.posteriors["code-generation"]] == [GPT, CLAUDE]


def test_long_streams_are_thinned_but_end_on_the_last_outcome(seeded: str) -> None:
    data = load_report_data(seeded, max_points=2)
    gpt = next(s for s in data.posteriors["code-generation"] if s.model == GPT)
    assert gpt.position.tolist() == [0, 5]
    assert gpt.final_mean == pytest.approx(4 / 6)
    assert gpt.outcomes == 4


def test_empty_store(database_url: str) -> None:
    data = load_report_data(database_url)
    assert data.empty and data.models == [] and data.outcome_count == 0


def test_store_label_never_shows_a_password_or_query() -> None:
    label = store_label(make_url("postgresql+psycopg://ops:s3cret@db.internal:5432/routerx"
                                 "?password=other&sslmode=require"))
    assert label == "postgresql+psycopg://ops:***@db.internal:5432/routerx"
    assert store_label(make_url("sqlite:////tmp/x/routerx.db")) == "sqlite:////tmp/x/routerx.db"
