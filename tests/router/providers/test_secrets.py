"""Discovery against a provider that leaks its key: nothing the store, the logs or the
CLI (table and JSON) keep holds a fragment of 8 characters of any key of the list."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli import app
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import openai_list
from tests.fakes.secrets import KEY_A, KEY_B, KEYS, across_the_cut, fragments, stored_text

runner = CliRunner()
MODELS = "/v1/models"


def _error(message: str) -> dict:
    return {"error": {"message": message, "type": "invalid_request_error"}}


@pytest.fixture
def provider(server: FakeHTTPServer, monkeypatch: pytest.MonkeyPatch,
             caplog: pytest.LogCaptureFixture) -> FakeHTTPServer:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "1")
    monkeypatch.setenv("OPENAI_API_KEY", KEYS)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    return server


def _kept(tmp_path: Path, caplog: pytest.LogCaptureFixture, *outputs: str) -> str:
    db = tmp_path / "xdg-data" / "routerx" / "routerx.db"
    return "\n".join([*outputs, caplog.text, stored_text(db)])


@pytest.mark.parametrize("status", [400, 401, 500])
@pytest.mark.parametrize("before", [20, 5])
def test_a_key_across_the_cut_of_an_error_never_kept(provider, tmp_path, caplog, status,
                                                     before) -> None:
    provider.route("GET", MODELS, Reply(status, across_the_cut(_error, KEY_B, before),
                                        {"Retry-After": "0"}))
    as_json = runner.invoke(app, ["discover", "--json", "-p", "openai"])
    as_table = runner.invoke(app, ["discover", "-p", "openai"])
    assert as_json.exit_code == as_table.exit_code == 1
    error = json.loads(as_json.stdout)["providers"]["openai"]["error"]
    assert f"HTTP {status}" in error and "PPPP" in error  # the body is quoted, cut...
    assert KEY_B[:before] not in error  # ...after the key went
    kept = _kept(tmp_path, caplog, as_json.output, as_table.output)
    assert f"HTTP {status}" in kept and fragments(kept) == []


def test_a_model_list_that_echoes_the_key_is_stored_redacted(provider, tmp_path,
                                                             caplog) -> None:
    provider.route("GET", MODELS, Reply(200, openai_list(
        ["gpt-5.2", f"echo-{KEY_A}"], owned_by=f"org of {KEY_B}")))
    found = runner.invoke(app, ["discover", "--json", "-p", "openai"])
    assert found.exit_code == 0, found.output
    assert sorted(json.loads(found.stdout)["new"]) == ["openai/echo-***", "openai/gpt-5.2"]
    listed = runner.invoke(app, ["models", "--json"])
    table = runner.invoke(app, ["models"])
    kept = _kept(tmp_path, caplog, found.output, listed.output, table.output)
    assert "echo-***" in kept and fragments(kept) == []
