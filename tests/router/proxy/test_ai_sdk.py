"""The Vercel AI SDK's `@ai-sdk/openai-compatible` (the provider OpenCode loads for a
custom endpoint) against the endpoint, with a provider failing before the first byte.

Needs Node and `npm ci --prefix tests/node` (what `.ci/run` does); skipped elsewhere
unless CI is set, where its absence fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fakes.chat_wire import anthropic_answer, anthropic_stream, gemini_stream
from tests.fakes.http_server import Reply
from tests.router.proxy.conftest import ANTHROPIC, GEMINI, Providers, Served

NODE_DIR = Path(__file__).parents[2] / "node"


def _node() -> str:
    node = shutil.which("node")
    ready = node is not None and (NODE_DIR / "node_modules" / "@ai-sdk" /
                                  "openai-compatible").is_dir()
    if not ready:
        if os.environ.get("CI"):
            pytest.fail("node or tests/node/node_modules is missing: .ci/run installs them")
        pytest.skip("needs node and `npm ci --prefix tests/node`")
    return node  # type: ignore[return-value]


def run_client(served: Served, model: str) -> dict:
    done = subprocess.run([_node(), str(NODE_DIR / "ai_sdk_client.mjs"), served.base_url, model],
                          capture_output=True, text=True, timeout=120, cwd=NODE_DIR)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ai_sdk_through_a_fallback_to_anthropic(served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(503, "overloaded"))
    providers.anthropic.route("POST", "/v1/messages",
                              Reply(200, anthropic_answer("def add(a, b): return a + b")),
                              Reply(stream=anthropic_stream(["def add", "(a, b): ..."])))
    got = run_client(served, "auto")
    assert got["whole"]["text"] == "def add(a, b): return a + b"
    assert got["whole"]["model"] == ANTHROPIC
    assert got["streamed"]["text"] == "def add(a, b): ..."
    assert got["streamed"]["model"] == ANTHROPIC
    assert got["streamed"]["usage"]["inputTokens"] == 20
    assert got["streamed"]["usage"]["outputTokens"] == 9


def test_ai_sdk_stream_from_gemini(served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(429, {"error": {}}))
    providers.anthropic.route("POST", "/v1/messages", Reply(500, "x"))
    providers.gemini.route("POST", "/v1beta/models/gem-c:generateContent",
                           Reply(200, {"candidates": [{"content": {"role": "model", "parts": [
                               {"text": "ok"}]}, "finishReason": "STOP"}]}))
    providers.gemini.route("POST", "/v1beta/models/gem-c:streamGenerateContent",
                           Reply(stream=gemini_stream(["o", "k"])))
    got = run_client(served, "code-generation")
    assert (got["whole"]["text"], got["whole"]["model"]) == ("ok", GEMINI)
    assert (got["streamed"]["text"], got["streamed"]["model"]) == ("ok", GEMINI)
