"""`routerx assess --dry-run`: requests, tokens and cost per model and benchmark; nothing
is asked, nothing is stored, an unknown price is shown as unknown. `--budget-usd` and
`--adaptive` refuse, before anything is asked, what they could not do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from router.cli import app
from router.store import session_scope
from router.store.models import BenchmarkRun, Model, ModelStatus
from tests.router.routing_fixtures import run_main

runner = CliRunner()


@pytest.fixture
def catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "routerx.toml"
    config.write_text('[prices."priced/*"]\ninput = 3.0\noutput = 15.0\n', encoding="utf-8")
    monkeypatch.setenv("ROUTERX_CONFIG", str(config))
    with session_scope() as s:
        for model_id in ("priced/coder", "free/coder"):
            provider, name = model_id.split("/")
            s.add(Model(id=model_id, provider=provider, name=name, status=ModelStatus.NEW))


def test_json_is_one_object_with_costs_and_their_sources(catalogue: None) -> None:
    result = runner.invoke(app, ["assess", "priced/coder", "free/coder", "-b", "humaneval",
                                 "--limit", "4", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    rows = {e["model_id"]: e for e in out["estimates"]}
    priced, free = rows["priced/coder"], rows["free/coder"]
    assert priced["requests"] == 4 and priced["stored"] == 0
    assert priced["cost_usd"] == pytest.approx(
        (priced["input_tokens"] * 3.0 + priced["output_tokens"] * 15.0) / 1e6, rel=1e-3)
    assert priced["price_source"] == 'routerx.toml [prices."priced/*"]'
    assert free["cost_usd"] is None and free["price_source"].startswith("unknown")
    assert out["totals"]["free/coder"]["cost_usd"] is None
    with session_scope() as s:  # nothing was opened, nobody is "assessing"
        assert s.exec(select(BenchmarkRun)).all() == []
        assert {m.status for m in s.exec(select(Model))} == {ModelStatus.NEW}


def test_the_table_says_unknown_and_names_the_bases(catalogue: None) -> None:
    result = runner.invoke(app, ["assess", "priced/coder", "free/coder", "-b", "humaneval",
                                 "--limit", "2", "--dry-run"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output and "unknown" in result.output
    assert "$0.00" in result.output  # the priced model's (small) cost
    assert "output recorded: mean of real answers with reported usage" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--adaptive", "--samples", "2"], "--adaptive needs one sample per task"),
    (["--adaptive", "--limit", "3"],
     "--adaptive decides a placement, but this humaneval run would not be placed: smoke"),
    (["--budget-usd", "-1"], "--budget-usd: Input should be greater than 0"),
    (["--budget-usd", "2", "free/coder"], "--budget-usd needs a price for free/coder: unknown"),
    (["--adaptive", "--confidence", "1.5"], "--confidence: Input should be less than or"),
])
def test_stopping_rules_refuse_what_they_cannot_do(
        catalogue: None, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    code, out, err = run_main(monkeypatch, capsys, "assess", "priced/coder", "-b",
                              "humaneval", *args)
    assert code == 2, out + err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    with session_scope() as s:
        assert s.exec(select(BenchmarkRun)).all() == []


def test_the_summary_says_where_an_adaptive_run_stopped_and_what_it_spent() -> None:
    from router.cli.assess import spend_line

    run = {"planned": 164, "asked": 40, "not_asked": 124, "spent_usd": 0.0123,
           "full_run_estimate_usd": 0.05}
    score = {"adaptive": {"layers": {"code-generation": 2}, "confidence": 0.95, "asked": 40,
                          "tasks": 164, "count_interval": [120, 150]}}
    assert spend_line(run, score) == (
        "adaptive: code-generation layer 2 decided at 95% after 40 of 164 tasks (full run's "
        "passes 120-150); asked 40 of 164 requests (124 saved); spent $0.0123 of an "
        "estimated $0.0500 for every task")
    budget = {"planned": 20, "asked": 7, "not_asked": 13, "spent_usd": None,
              "full_run_estimate_usd": None}
    assert spend_line(budget, None) == ("asked 7 of 20 requests (13 saved); spent unknown of "
                                        "an estimated unknown for every task")
    assert spend_line({"planned": 5, "asked": 5, "not_asked": 0, "spent_usd": 0.1,
                       "full_run_estimate_usd": None}, None) == ""
