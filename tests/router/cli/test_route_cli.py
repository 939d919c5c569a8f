"""`routerx route`, `routerx outcome` and `routerx explore` as an agent calls them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from router.cli import app
from router.store import session_scope
from router.store.models import Outcome
from tests.router.routing_fixtures import CATEGORY, doc, run_main, seed

runner = CliRunner()


@pytest.fixture
def seeded() -> None:
    seed(None, doc(3))  # the configured store (isolated per test by conftest)


def test_route_json_shape(seeded: None) -> None:
    got = runner.invoke(app, ["route", "--category", CATEGORY, "--json"])
    assert got.exit_code == 0, got.output
    body = json.loads(got.stdout)
    assert list(body) == ["model", "provider", "fallbacks", "is_exploration", "reason",
                          "category"]
    assert body["model"] == "prov/model-0:8b"
    excluded = json.loads(runner.invoke(
        app, ["route", "--category", CATEGORY, "--exclude", "prov/model-0:8b", "--json"]).stdout)
    assert excluded["model"] == "prov/model-1:8b"


def test_route_human_output(seeded: None) -> None:
    out = runner.invoke(app, ["route", "--category", "nope"]).stdout
    assert "prov/model-0:8b" in out and "default category" in out


def test_route_with_no_placements_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main(monkeypatch, capsys, "route", "--category", CATEGORY)
    assert code == 2 and out == "" and "no placements for category" in err


def test_route_does_not_import_prefect_or_the_web_stack(seeded: None, tmp_path) -> None:  # noqa: ANN001
    probe = (
        "import sys; from router.cli import main; sys.argv=['routerx','route','--category',"
        f"'{CATEGORY}','--json']\n"
        "try: main()\nexcept SystemExit: pass\n"
        "heavy = [m for m in ('prefect', 'fastapi', 'uvicorn', 'starlette') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert json.loads(proc.stdout)["model"] == "prov/model-0:8b"
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_outcome_is_stored(seeded: None) -> None:
    got = runner.invoke(app, ["outcome", "--model", "prov/model-1:8b", "--category", CATEGORY,
                              "--success", "false", "--latency-ms", "1200", "--cost-usd",
                              "0.03", "--tokens-in", "100", "--tokens-out", "20", "--task-id",
                              "T-9", "--is-exploration", "--json"])
    assert got.exit_code == 0, got.output
    assert json.loads(got.stdout)["success"] is False
    with session_scope() as s:
        (row,) = s.exec(select(Outcome)).all()
    assert (row.model_id, row.success, row.latency_ms, row.task_id, row.is_exploration) == (
        "prov/model-1:8b", False, 1200.0, "T-9", True)


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "prov/model-1:8b", "--success", "maybe"], "--success must be true or false"),
    (["--model", "ghost/m", "--success", "true"], "unknown model 'ghost/m'"),
    (["--model", "prov/model-1:8b", "--success", "yes", "--latency-ms", "-3"], "latency_ms"),
])
def test_bad_outcome_is_one_line(
    seeded: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:
    code, _, err = run_main(monkeypatch, capsys, "outcome", "--category", CATEGORY, *args)
    assert code == 2 and message in err and "Traceback" not in err
    with session_scope() as s:
        assert s.exec(select(Outcome)).all() == []


def test_explore_on_status_off(seeded: None) -> None:
    on = runner.invoke(app, ["explore", "on", "--mode", "balanced", "--budget", "25", "--json"])
    assert json.loads(on.stdout) == {"active": True, "mode": "balanced", "budget": 25}
    status = runner.invoke(app, ["explore", "status", "--json"])
    assert json.loads(status.stdout) == {"active": True, "mode": "balanced", "budget": 25}
    routed = json.loads(runner.invoke(app, ["route", "--category", CATEGORY, "--json"]).stdout)
    assert routed["reason"].startswith("exploration (balanced, budget 25%)")
    assert "exploration off" in runner.invoke(app, ["explore", "off"]).stdout
    assert json.loads(runner.invoke(app, ["explore", "status", "--json"]).stdout)["active"] \
        is False


@pytest.mark.parametrize(("args", "message"), [
    (["on", "--budget", "120"], "budget must be between 0 and 100"),
    (["on", "--mode", "yolo"], "unknown exploration mode 'yolo'"),
    (["sideways"], "unknown action 'sideways'"),
    (["status", "--budget", "5"], "apply to `explore on`"),
])
def test_explore_mistakes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                          args: list[str], message: str) -> None:
    code, _, err = run_main(monkeypatch, capsys, "explore", *args)
    assert code == 2 and message in err


def test_every_command_has_an_example() -> None:
    for command in (["route"], ["outcome"], ["explore"], ["serve"], ["placements"],
                    ["placements", "import"]):
        assert "Example:" in runner.invoke(app, [*command, "--help"]).stdout, command
