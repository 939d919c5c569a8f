"""`routerx report` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from router.cli import app
from tests.router.report.conftest import GPT, MODELS

runner = CliRunner()


def test_json_is_one_object_and_the_page_is_written(seeded_sqlite: str, tmp_path: Path,
                                                    monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ROUTERX_DATABASE_URL", seeded_sqlite)
    result = runner.invoke(app, ["report", "--out", str(tmp_path / "r"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["path"] == str(tmp_path / "r" / "report.html")
    assert data["models"] == sorted(MODELS)
    assert data["categories"] == ["bug-fix", "code-generation"]
    assert data["benchmarks"] == ["humaneval", "mbpp"]
    assert (data["scores"], data["outcomes"], data["empty"]) == (6, 6, False)
    assert data["bytes"] == Path(data["path"]).stat().st_size
    assert GPT in Path(data["path"]).read_text(encoding="utf-8")


def test_human_output_on_an_empty_store_names_the_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0, result.output
    default = tmp_path / "xdg-data" / "routerx" / "reports" / "report.html"
    assert "nothing to report yet" in result.stdout
    assert "report.html" in result.stdout and default.is_file()
    assert "Nothing to report yet" in default.read_text(encoding="utf-8")


def test_bad_out_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    afile = tmp_path / "taken"
    afile.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "router", "report", "--out", str(afile)],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode != 0
    assert proc.stderr.strip() == f"error: --out {afile} is a file; pass a directory for " \
                                  "report.html"
    assert proc.stdout == ""


def test_help_has_an_example() -> None:
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0 and "Example: routerx report" in result.stdout


def test_the_cli_and_router_do_not_import_matplotlib() -> None:
    code = ("import sys, router, router.cli, router.report, router.report.write; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert proc.stdout.strip() == "[]"
