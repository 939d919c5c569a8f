"""`routerx discover` and `routerx models` as a user runs them."""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from router.cli import app
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import anthropic_paged, openai_list
from tests.router.cli.process import routerx

runner = CliRunner()


@pytest.fixture
def two_providers(monkeypatch):  # noqa: ANN201
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "0")
    with FakeHTTPServer() as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-FAKE-openai-4242")
        monkeypatch.setenv("OPENAI_BASE_URL", f"{srv.url}/oa/v1")
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-FAKE-7777")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", srv.url)
        srv.route("GET", "/oa/v1/models", Reply(200, openai_list(["gpt-5.2"])))
        srv.route("GET", "/v1/models", anthropic_paged(["claude-opus-4-5"]))
        yield srv


def test_json_is_one_object_with_the_documented_shape(two_providers) -> None:
    result = runner.invoke(app, ["discover", "--json", "-p", "anthropic"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"polled_at", "providers", "new", "removed"}
    anthropic = data["providers"]["anthropic"]
    assert data["providers"] == {"anthropic": {
        "status": "ok", "models": 1, "error": None, "new": ["anthropic/claude-opus-4-5"],
        "removed": [], "reused": False, "duration_ms": anthropic["duration_ms"]}}
    assert data["new"] == ["anthropic/claude-opus-4-5"]


def test_exit_code_1_when_a_provider_failed_and_others_still_stored(two_providers) -> None:
    two_providers.route("GET", "/oa/v1/models", Reply(500, {"error": "down"}))
    result = runner.invoke(app, ["discover", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["providers"]["openai"]["status"] == "error"
    assert data["providers"]["groq"]["status"] == "skipped"
    models = json.loads(runner.invoke(app, ["models", "--json"]).stdout)["models"]
    assert [m["id"] for m in models] == ["anthropic/claude-opus-4-5"]


def test_human_output_is_a_table(two_providers) -> None:
    result = runner.invoke(app, ["discover", "-p", "openai"])
    assert result.exit_code == 0
    assert "openai" in result.stdout and "queued for assessment: openai/gpt-5.2" in result.stdout
    listed = runner.invoke(app, ["models", "--status", "new"])
    assert "openai/gpt-5.2" in listed.stdout


def test_user_mistakes_are_one_line_and_nonzero() -> None:
    for args, expected in [
        (["discover", "--if-stale", "soon"], "cannot read duration 'soon'"),
        (["discover", "-p", "nope"], "unknown provider 'nope'; known: anthropic, cerebras"),
        (["models", "--status", "weird"], "unknown status 'weird'"),
    ]:
        proc = routerx(*args)
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bad_config_file_names_file_key_and_fix(tmp_path) -> None:
    (tmp_path / "routerx.toml").write_text('[providers.vllm]\nbase_url = "localhost:8000"\n')
    proc = routerx("discover")
    assert proc.returncode == 2
    assert "routerx.toml: [providers.vllm].base_url: must be an http:// or https:// URL" in (
        proc.stderr)
    (tmp_path / "routerx.toml").write_text('[providers.vllm]\nbase_url = "http://x"\nkey = "s"\n')
    proc = routerx("discover")
    assert "[providers.vllm].key: unknown key" in proc.stderr
    (tmp_path / "routerx.toml").write_text("[providers.vllm\n")
    proc = routerx("discover")
    assert "not valid TOML" in proc.stderr


def test_keys_never_reach_store_logs_or_output(two_providers, tmp_path, caplog) -> None:
    """Poll with recognisable keys, including a 401 whose body echoes the key."""
    caplog.set_level(logging.DEBUG)
    # Like real providers, each error body echoes the key that was sent.
    two_providers.route("GET", "/oa/v1/models", Reply(
        401, {"error": "Incorrect API key provided: sk-FAKE-openai-4242"}))
    two_providers.route("GET", "/v1/models", Reply(
        403, {"error": "invalid x-api-key sk-ant-FAKE-7777"}))
    outputs = [runner.invoke(app, ["discover", "--json"]), runner.invoke(app, ["discover"]),
               runner.invoke(app, ["models", "--json"])]
    two_providers.route("GET", "/oa/v1/models", Reply(200, openai_list(["gpt-5.2"])))
    outputs.append(runner.invoke(app, ["discover"]))
    written = [o.output for o in outputs] + [caplog.text]
    db = tmp_path / "xdg-data" / "routerx" / "routerx.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        written.extend("\n".join(conn.iterdump()).splitlines())
    written.append(db.read_bytes().decode("latin-1"))
    wal = db.with_name("routerx.db-wal")
    if wal.exists():
        written.append(wal.read_bytes().decode("latin-1"))
    blob = "\n".join(written)
    assert "rejected the key in OPENAI_API_KEY" in blob  # the errors themselves are there...
    assert "rejected the key in ANTHROPIC_API_KEY" in blob
    for secret in ("sk-FAKE-openai-4242", "sk-ant-FAKE-7777", "FAKE-openai", "FAKE-7777"):
        assert secret not in blob  # ...but no key, nor a fragment of one
