"""`routerx discover --flow`: the Prefect flow from the CLI, in the mode a user without a
Prefect server gets (Prefect's temporary server, started and stopped by the CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from router.cli import app
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import openai_list
from tests.router.cli.process import routerx

runner = CliRunner()


@pytest.mark.slow  # Prefect's temporary server: over a minute under load
def test_discover_flow_runs_the_async_flow_and_stores_the_poll(tmp_path: Path) -> None:
    with FakeHTTPServer() as srv:
        srv.route("GET", "/v1/models", Reply(200, openai_list(["gpt-5.2", "bad id"])))
        env = {"OPENAI_API_KEY": "sk-FAKE-flow-5151", "OPENAI_BASE_URL": f"{srv.url}/v1",
               "ROUTERX_HTTP_RETRIES": "0", "PREFECT_HOME": str(tmp_path / "prefect-home"),
               "PREFECT_API_URL": ""}
        proc = routerx("discover", "--flow", "--json", "-p", "openai", env=env, timeout=600)
    assert "Traceback" not in proc.stderr and "coroutine" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["new"] == result["queued"] == ["openai/gpt-5.2"]
    assert "assessment" not in result  # discovery queues; `routerx assess --new` assesses
    assert result["providers"]["openai"]["status"] == "ok"
    assert "sk-FAKE-flow-5151" not in proc.stdout + proc.stderr
    models = json.loads(runner.invoke(app, ["models", "--json"]).stdout)["models"]
    assert [(m["id"], m["status"]) for m in models] == [("openai/gpt-5.2", "new")]
