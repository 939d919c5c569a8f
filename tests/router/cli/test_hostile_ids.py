"""Ids that look like Rich markup or carry control characters, already in the store
(as an older routerx let them in) or arriving now through the CLI and discovery.

Printed, they must show literally: `[/x]` must not crash a command (Rich reads it as a
closing tag), `[bold]` must not vanish into a style, and ESC must not reach the
terminal. Arriving, ids with whitespace or control characters are refused with one line.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli import app
from router.store import session_scope
from router.store.models import FallbackTable, Model, ModelStatus, Pin, Placement
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import openai_list
from tests.router.routing_fixtures import run_main

runner = CliRunner()

CLOSE = "old/[/x]"
BOLD = "old/[bold]loud"
ESC = "old/esc\x1b[31mred"
CATEGORY = "[bold]cat"
HOSTILE = (CLOSE, BOLD, ESC)


@pytest.fixture
def hostile_store() -> None:
    """Rows written straight into the store, bypassing today's checks on entry."""
    with session_scope() as s:
        for model_id in HOSTILE:
            s.add(Model(id=model_id, provider="old", name=model_id.removeprefix("old/"),
                        status=ModelStatus.ASSESSED))
    with session_scope() as s:
        for i, model_id in enumerate(HOSTILE):
            s.add(Placement(model_id=model_id, category=CATEGORY, layer=1 + i,
                            rank_score=1.0 - i / 10, pass_rate=0.5))
        s.add(FallbackTable(category=CATEGORY, version=1, models=list(HOSTILE)))
        s.add(Pin(category=CATEGORY, model_id=CLOSE, note="[red]because[/red]",
                  task_id="[/task]"))


def assert_literal(output: str, *expected: str) -> None:
    assert "\x1b" not in output  # neither the stored ESC nor any style
    for value in expected:
        assert value in output, f"{value!r} not shown literally in:\n{output}"


def test_models_lists_hostile_ids_literally(hostile_store: None) -> None:
    result = runner.invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, CLOSE, BOLD, "old/esc\\x1b[31mred")


def test_placements_lists_hostile_ids_and_category_literally(hostile_store: None) -> None:
    result = runner.invoke(app, ["placements"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, f"{CATEGORY}: 3 model(s)", CLOSE, BOLD, "old/esc\\x1b")
    listed = json.loads(runner.invoke(app, ["placements", "--json"]).stdout)
    assert [e["model"] for e in listed[CATEGORY]] == list(HOSTILE)


def test_pin_list_shows_hostile_values_literally(hostile_store: None) -> None:
    result = runner.invoke(app, ["pin", "--list"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, CATEGORY, CLOSE, "[/task]", "[red]because[/red]")


def test_route_prints_hostile_choice_and_fallbacks_literally(hostile_store: None) -> None:
    result = runner.invoke(app, ["route", "--category", CATEGORY])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, CLOSE, "fallbacks: ", BOLD)
    assert result.stdout.splitlines()[0].startswith(CLOSE)


def test_outcome_and_unpin_with_bracketed_names(hostile_store: None) -> None:
    result = runner.invoke(app, ["outcome", "--model", CLOSE, "--category", CATEGORY,
                                 "--success", "true"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, f"{CLOSE} in {CATEGORY}, success")
    result = runner.invoke(app, ["unpin", "--category", CATEGORY, "--task-id", "[/task]"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, "unpinned task '[/task]' of '[bold]cat'")


def test_pin_prints_bracketed_model_literally(hostile_store: None) -> None:
    result = runner.invoke(app, ["pin", "--category", CATEGORY, "--model", BOLD,
                                 "--note", "[/]"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, f"pinned {BOLD}: operator pin on category '{CATEGORY}'")


def test_errors_naming_a_bracketed_value_are_one_literal_line(
    hostile_store: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "placements", "--category", "[/x]")
    assert code == 2 and out == ""
    assert "unknown category '[/x]'; known: [bold]cat" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_report_and_import_summary_with_bracketed_names(
    hostile_store: None, tmp_path: Path
) -> None:
    path = tmp_path / "[bold]team.json"
    path.write_text(json.dumps({"[/x]": [{"model": "new/[/y]", "layer": 1, "score": 1.0}]}))
    result = runner.invoke(app, ["placements", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout.replace("\n", ""), "[bold]team.json")
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, "[/x]", CATEGORY)


def test_assess_summary_and_discovery_report_print_literally(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from router.cli.assess import print_summary
    from router.cli.discover import print_report

    print_summary({
        "models": {
            "m/[/x]": {"status": "failed", "outcome": "failed", "benchmarks": {},
                       "placements": {}, "reason": "[/r]"},
            "m/[b]": {"status": "assessed", "outcome": "completed",
                      "placements": {"code-generation": 2}, "benchmarks": {
                          "[i]": {"pass_at_1": 0.5, "ci": [0.2, 0.8], "latency_p50_ms": 10.0,
                                  "cost_per_solved_usd": None, "task_scope": "[first 3]",
                                  "placed": False, "not_placed_reason": "[smoke]"}}},
        },
        "skipped_benchmarks": {"[/s]": "needs [bold]data"},
        "exports": {"fallback_tables": "/tmp/[x]/fallback.json"},
    })
    print_report({"polled_at": "now", "queued": [CLOSE, ESC], "providers": {
        "[p]": {"status": "error", "models": 0, "new": [], "removed": [],
                "error": "HTTP 500: [/body]"}}})
    out = capsys.readouterr().out
    assert_literal(out, "m/[/x]", "m/[b]", "[/r]", "[i]", "[first 3]", "[smoke]",
                   "skipped [/s]: needs [bold]data",
                   "/tmp/[x]/fallback.json", "[p]", "HTTP 500: [/body]",
                   "old/esc\\x1b[31mred")


# -- ids arriving now -----------------------------------------------------------------


def test_discovery_skips_malformed_ids_and_keeps_the_rest(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "0")
    listed = ["gpt-5.2", "gpt-[/x]", "has space", "nul\x00byte", "esc\x1b[2J", "x" * 5000,
              "", "new\nline"]
    with FakeHTTPServer() as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-FAKE-1234")
        monkeypatch.setenv("OPENAI_BASE_URL", f"{srv.url}/v1")
        srv.route("GET", "/v1/models", Reply(200, openai_list(listed)))
        with caplog.at_level(logging.WARNING, logger="router.discovery"):
            result = runner.invoke(app, ["discover", "-p", "openai"])
    assert result.exit_code == 0, result.output
    assert_literal(result.stdout, "queued for assessment: openai/gpt-5.2, openai/gpt-[/x]")
    models = json.loads(runner.invoke(app, ["models", "--json"]).stdout)["models"]
    assert sorted(m["id"] for m in models) == ["openai/gpt-5.2", "openai/gpt-[/x]"]
    warnings = [r.getMessage() for r in caplog.records if r.name == "router.discovery"]
    assert len(warnings) == 6
    for shown in ("'openai/has space'", "'openai/nul\\x00byte'", "'openai/esc\\x1b[2J'",
                  "'openai/new\\nline'", "(5007 characters)", "'openai/'"):
        assert any(shown in w for w in warnings), (shown, warnings)
    for w in warnings:
        assert w.startswith("discovery skipped a model: openai listed a model whose id")
        assert "\n" not in w and "\x00" not in w and "\x1b" not in w and len(w) < 400


@pytest.mark.parametrize(("args", "expected"), [
    (["route", "--category", "code generation"], "--category 'code generation' contains"),
    (["route", "--category", "c", "--exclude", "p/a\x1b"], "--exclude 'p/a\\x1b' contains"),
    (["outcome", "--model", "p/a b", "--category", "c", "--success", "true"],
     "--model 'p/a b' contains U+0020"),
    (["outcome", "--model", "p/a", "--category", "c\x00", "--success", "true"],
     "--category 'c\\x00' contains U+0000"),
    (["outcome", "--model", "nomodel", "--category", "c", "--success", "true"],
     "--model 'nomodel' is not provider/model"),
    (["pin", "--category", "c", "--model", "p/" + "m" * 400], "is too long"),
    (["pin", "--category", "c\t", "--model", "p/a"], "--category 'c\\t' contains U+0009"),
    (["unpin", "--category", "c\u202e"], "--category 'c\\u202e' contains U+202E"),
    (["assess", "p/a b"], "MODEL_ID 'p/a b' contains U+0020"),
])
def test_malformed_ids_on_the_command_line_are_one_line(
    args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(monkeypatch, capsys, *args)
    assert code == 2 and out == ""
    assert expected in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "\x1b" not in err and "\x00" not in err


def test_pins_refuse_malformed_ids_in_the_function_the_api_calls() -> None:
    from router.errors import InputError
    from router.pins import remove_pin, set_pin

    with session_scope() as s, pytest.raises(InputError, match="model id 'p/a b' contains"):
        set_pin(s, "code-generation", "p/a b")
    with session_scope() as s, pytest.raises(InputError, match="category 'a\\\\nb' contains"):
        set_pin(s, "a\nb", "p/a")
    with session_scope() as s, pytest.raises(InputError, match="category '' is empty|empty"):
        remove_pin(s, "")


def test_output_helpers_keep_values_inert() -> None:
    from router.cli.output import lines, markup, text, visible

    assert visible("a\x1b[2J\u202eb\nc") == "a\\x1b[2J\\u202eb\\nc"
    assert visible("modèle [x]") == "modèle [x]"
    assert text("[bold]x[/]").plain == "[bold]x[/]"
    assert markup("[/x]") == "\\[/x]"
    assert lines(["a\nb", "[c]"]).plain == "a\\nb\n[c]"  # one line per value, not per \n
