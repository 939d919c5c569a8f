"""`routerx placements` and `routerx placements import`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli import app
from tests.router.routing_fixtures import doc, run_main

runner = CliRunner()


def test_import_then_list_round_trips(tmp_path: Path) -> None:
    data = {**doc(4), **doc(2, category="debugging", prefix="ollama")}
    path = tmp_path / "team.json"
    path.write_text(json.dumps(data))
    imported = runner.invoke(app, ["placements", "import", str(path), "--json"])
    assert imported.exit_code == 0, imported.output
    summary = json.loads(imported.stdout)
    assert summary["placements"] == 6 and len(summary["new_models"]) == 6
    listed = runner.invoke(app, ["placements", "--json"])
    assert json.loads(listed.stdout) == data
    one = runner.invoke(app, ["placements", "--category", "debugging", "--json"])
    assert json.loads(one.stdout) == {"debugging": data["debugging"]}
    human = runner.invoke(app, ["placements"])
    assert "code-generation: 4 model(s), best first" in human.stdout


def test_bad_file_is_one_line_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    bad = doc(3)
    bad["code-generation"][2]["score"] = "high"
    path.write_text(json.dumps(bad))
    code, out, err = run_main(monkeypatch, capsys, "placements", "import", str(path))
    assert code == 2 and out == ""
    assert "entry 3 (model 'prov/model-2:8b'): 'score' must be a finite number" in err
    assert "Traceback" not in err
    assert json.loads(runner.invoke(app, ["placements", "--json"]).stdout) == {}


def test_unknown_category(monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(monkeypatch, capsys, "placements", "--category", "nope")
    assert code == 2 and "unknown category 'nope'" in err
