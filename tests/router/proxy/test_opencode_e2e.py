"""OpenCode itself, configured with the README's opencode.json, answering through routerx.

Opt-in (OpenCode is a 350 MB npm package): install it anywhere and point at its binary,
    npm install --prefix /tmp/oc opencode-ai@1.18.33
    ROUTERX_OPENCODE_BIN=/tmp/oc/node_modules/.bin/opencode python -m pytest \\
        tests/router/proxy/test_opencode_e2e.py
Only the port of the README's `baseURL` is changed, to the test server's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fakes.chat_wire import anthropic_answer, anthropic_stream
from tests.fakes.http_server import Recorded, Reply
from tests.router.proxy.conftest import ANTHROPIC, OPENAI, Providers, serve
from tests.router.proxy.test_openai_passthrough import wait_for_outcomes

BIN = os.environ.get("ROUTERX_OPENCODE_BIN")


def readme_config() -> str:
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme[readme.index("### OpenCode"):]
    start = section.index("```json\n") + 8
    return section[start:section.index("\n```", start)]


@pytest.mark.skipif(not BIN, reason="set ROUTERX_OPENCODE_BIN to an OpenCode binary")
def test_opencode_answers_through_routerx(providers: Providers, store: str,
                                          tmp_path: Path) -> None:
    def anthropic(rec: Recorded) -> Reply:
        if rec.json().get("stream"):
            return Reply(stream=anthropic_stream(["Hello from ", "claude-b via routerx."]))
        return Reply(200, anthropic_answer("A title"))

    providers.openai.route("POST", "/v1/chat/completions", Reply(429, {"error": {}}))
    providers.anthropic.route("POST", "/v1/messages", anthropic)
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    with serve(store) as served:
        config = readme_config().replace("http://127.0.0.1:8787/v1", served.base_url)
        assert config != readme_config()
        (project / "opencode.json").write_text(config)
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "TERM": "dumb",
               "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / "data"),
               "XDG_CACHE_HOME": str(home / "cache"), "XDG_STATE_HOME": str(home / "state"),
               "OPENCODE_DISABLE_AUTOUPDATE": "1", "OPENCODE_DISABLE_MODELS_FETCH": "1"}
        done = subprocess.run([str(BIN), "run", "Say hi"], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Hello from claude-b via routerx." in done.stdout
        outcomes = wait_for_outcomes(served, 2)
    # OpenAI was routed first and rate limited; Anthropic answered: both are outcomes
    assert {(o.model_id, o.success) for o in outcomes} >= {(OPENAI, False), (ANTHROPIC, True)}
    sent = providers.anthropic.requests[-1]
    assert "authorization" not in sent.headers  # OpenCode's own header stays with routerx


@pytest.mark.skipif(not BIN, reason="set ROUTERX_OPENCODE_BIN to an OpenCode binary")
def test_opencode_runs_a_tool_through_the_anthropic_translation(
        providers: Providers, store: str, tmp_path: Path) -> None:
    """OpenCode's tools go to Anthropic as tools, the tool_use comes back as an OpenAI
    tool call that OpenCode runs (its `read`), and the result goes back as tool_result."""
    project, home = tmp_path / "project", tmp_path / "home"
    project.mkdir()
    home.mkdir()
    (project / "hello.txt").write_text("the secret word is pelican\n")
    asked: list[dict] = []

    def anthropic(rec: Recorded) -> Reply:
        body = rec.json()
        asked.append(body)
        if not body.get("stream"):
            return Reply(200, anthropic_answer("A title"))
        last = body["messages"][-1]["content"]
        results = [b for b in last if isinstance(b, dict) and b.get("type") == "tool_result"]
        if results:
            word = "pelican" if "pelican" in str(results[0]["content"]) else "nothing"
            return Reply(stream=anthropic_stream([f"The word is {word}."]))
        if any(t["name"] == "read" for t in body.get("tools", [])):
            args = '{"filePath": "%s"}' % (project / "hello.txt")
            return Reply(stream=anthropic_stream(["Reading."], tool=("toolu_1", "read", args)))
        return Reply(stream=anthropic_stream(["no tools were offered"]))

    providers.openai.route("POST", "/v1/chat/completions", Reply(503, "down"))
    providers.anthropic.route("POST", "/v1/messages", anthropic)
    with serve(store) as served:
        (project / "opencode.json").write_text(
            readme_config().replace("http://127.0.0.1:8787/v1", served.base_url))
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "TERM": "dumb",
               "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / "data"),
               "XDG_CACHE_HOME": str(home / "cache"), "XDG_STATE_HOME": str(home / "state"),
               "OPENCODE_DISABLE_AUTOUPDATE": "1", "OPENCODE_DISABLE_MODELS_FETCH": "1"}
        done = subprocess.run([str(BIN), "run", "What does hello.txt say?"], cwd=project,
                              env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "The word is pelican." in done.stdout
    with_tools = [b for b in asked if b.get("tools")]
    assert {"read", "edit", "bash"} <= {t["name"] for t in with_tools[0]["tools"]}
    assert all("input_schema" in t for t in with_tools[0]["tools"])
