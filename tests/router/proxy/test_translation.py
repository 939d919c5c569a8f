"""Anthropic Messages and Gemini behind the OpenAI API: requests, answers, tool calls and
streams translated both ways, against loopback servers speaking each format."""

from __future__ import annotations

import json

import httpx

from tests.fakes.chat_wire import (
    anthropic_answer,
    anthropic_stream,
    gemini_answer,
    gemini_stream,
)
from tests.fakes.http_server import Reply
from tests.router.proxy.conftest import ANTHROPIC, GEMINI, KEYS, PRICES, Providers, Served
from tests.router.proxy.test_openai_passthrough import wait_for_outcomes

TOOLS = [{"type": "function", "function": {
    "name": "read_file", "description": "Read a file",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                   "required": ["path"], "additionalProperties": False}}}]
CONVERSATION = [
    {"role": "system", "content": "You are a coding agent."},
    {"role": "user", "content": [{"type": "text", "text": "Fix the bug in a.py"}]},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "read_file", "arguments": '{"path": "a.py"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "def f(): return 1"},
]
ARGS = '{"path": "b.py"}'


def chunks_of(response: httpx.Response) -> list[dict]:
    lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]", lines[-3:]
    return [json.loads(line[6:]) for line in lines[:-1]]


def tool_call_of(chunks: list[dict]) -> dict:
    calls: dict[int, dict] = {}
    for c in chunks:
        for call in (c["choices"][0]["delta"].get("tool_calls") or []) if c["choices"] else []:
            slot = calls.setdefault(call["index"], {"id": None, "name": "", "arguments": ""})
            slot["id"] = call.get("id") or slot["id"]
            slot["name"] += call.get("function", {}).get("name") or ""
            slot["arguments"] += call.get("function", {}).get("arguments") or ""
    (only,) = calls.values()
    return only


def test_anthropic_request_and_answer_with_a_tool_call(
        served: Served, providers: Providers) -> None:
    providers.anthropic.route("POST", "/v1/messages", Reply(200, anthropic_answer(
        "Reading b.py next.", tool=("toolu_9", "read_file", ARGS))))
    got = httpx.post(f"{served.base_url}/chat/completions", json={
        "model": ANTHROPIC, "messages": CONVERSATION, "tools": TOOLS,
        "tool_choice": "required", "temperature": 0.1, "stop": "END", "user": "task-42"})
    assert got.status_code == 200, got.text
    message = got.json()["choices"][0]["message"]
    assert message["content"] == "Reading b.py next." and message["reasoning_content"] == "hmm"
    assert message["tool_calls"] == [{"id": "toolu_9", "type": "function", "function": {
        "name": "read_file", "arguments": ARGS}}]
    assert got.json()["choices"][0]["finish_reason"] == "tool_calls"
    sent = providers.anthropic.hits("/v1/messages")[0]
    assert sent.headers["x-api-key"] == KEYS["ANTHROPIC_API_KEY"]
    assert sent.headers["anthropic-version"] and "authorization" not in sent.headers
    body = sent.json()
    assert body["model"] == "claude-b" and body["system"] == "You are a coding agent."
    assert body["max_tokens"] == 4096  # the catalogue's output limit: Anthropic needs one
    assert body["stop_sequences"] == ["END"] and body["temperature"] == 0.1
    assert body["tools"] == [{"name": "read_file", "description": "Read a file",
                              "input_schema": TOOLS[0]["function"]["parameters"]}]
    assert body["tool_choice"] == {"type": "any"}
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Fix the bug in a.py"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "call_1",
                                           "name": "read_file", "input": {"path": "a.py"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1",
                                      "content": "def f(): return 1"}]}]
    (outcome,) = wait_for_outcomes(served, 1)
    assert (outcome.model_id, outcome.tokens_in, outcome.tokens_out) == (ANTHROPIC, 20, 9)
    assert outcome.task_id == "task-42"


def test_anthropic_stream_with_text_thinking_and_a_tool_call(
        served: Served, providers: Providers) -> None:
    providers.anthropic.route("POST", "/v1/messages", Reply(stream=anthropic_stream(
        ["Let me ", "look."], tool=("toolu_7", "read_file", ARGS), cache_read=100)))
    with httpx.stream("POST", f"{served.base_url}/chat/completions", json={
            "model": ANTHROPIC, "messages": CONVERSATION, "tools": TOOLS, "stream": True,
            "stream_options": {"include_usage": True}}) as got:
        assert got.status_code == 200 and got.headers["x-routerx-model"] == ANTHROPIC
        chunks = chunks_of(got)
    assert providers.anthropic.hits("/v1/messages")[0].json()["stream"] is True
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0]["role"] == "assistant"
    assert "".join(d.get("content") or "" for d in deltas) == "Let me look."
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == "hmm"
    assert tool_call_of(chunks) == {"id": "toolu_7", "name": "read_file", "arguments": ARGS}
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "tool_calls"
    assert chunks[-1]["usage"] == {"prompt_tokens": 120, "completion_tokens": 9,
                                   "total_tokens": 129}
    assert all(c["model"] == ANTHROPIC for c in chunks)
    (outcome,) = wait_for_outcomes(served, 1)
    assert (outcome.success, outcome.tokens_in, outcome.tokens_out) == (True, 120, 9)
    inp, out = PRICES[ANTHROPIC]
    assert outcome.cost_usd == (120 * inp + 9 * out) / 1e6


def test_gemini_request_and_answer_with_a_function_call(
        served: Served, providers: Providers) -> None:
    path = "/v1beta/models/gem-c:generateContent"
    providers.gemini.route("POST", path, Reply(200, gemini_answer(
        "Reading b.py.", call=("read_file", {"path": "b.py"}))))
    got = httpx.post(f"{served.base_url}/chat/completions", json={
        "model": GEMINI, "messages": CONVERSATION, "tools": TOOLS, "max_tokens": 300,
        "tool_choice": {"type": "function", "function": {"name": "read_file"}}})
    assert got.status_code == 200, got.text
    choice = got.json()["choices"][0]
    assert choice["message"]["content"] == "Reading b.py."
    assert choice["message"]["reasoning_content"] == "thinking..."
    (call,) = choice["message"]["tool_calls"]
    assert call["function"] == {"name": "read_file", "arguments": ARGS}
    assert call["id"].startswith("call_") and choice["finish_reason"] == "tool_calls"
    sent = providers.gemini.hits(path)[0]
    assert sent.headers["x-goog-api-key"] == KEYS["GEMINI_API_KEY"]
    assert "key=" not in sent.raw_target  # never in the URL
    body = sent.json()
    assert body["systemInstruction"] == {"parts": [{"text": "You are a coding agent."}]}
    assert body["generationConfig"] == {"maxOutputTokens": 300}
    assert body["tools"] == [{"functionDeclarations": [{
        "name": "read_file", "description": "Read a file",
        "parametersJsonSchema": TOOLS[0]["function"]["parameters"]}]}]
    assert body["toolConfig"] == {"functionCallingConfig": {
        "mode": "ANY", "allowedFunctionNames": ["read_file"]}}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Fix the bug in a.py"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "read_file",
                                                      "args": {"path": "a.py"}}}]},
        {"role": "user", "parts": [{"functionResponse": {
            "name": "read_file", "response": {"content": "def f(): return 1"}}}]}]


def test_gemini_stream_with_a_function_call(served: Served, providers: Providers) -> None:
    path = "/v1beta/models/gem-c:streamGenerateContent"
    providers.gemini.route("POST", path, Reply(stream=gemini_stream(
        ["Let me ", "look."], call=("read_file", {"path": "b.py"}))))
    with httpx.stream("POST", f"{served.base_url}/chat/completions", json={
            "model": GEMINI, "messages": CONVERSATION, "tools": TOOLS,
            "stream": True}) as got:
        assert got.status_code == 200
        chunks = chunks_of(got)
    assert providers.gemini.hits(path)[0].query == {"alt": ["sse"]}
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert "".join(d.get("content") or "" for d in deltas) == "Let me look."
    call = tool_call_of(chunks)
    assert (call["name"], json.loads(call["arguments"])) == ("read_file", {"path": "b.py"})
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert all(c["choices"] for c in chunks)  # no usage chunk: the agent did not ask
    (outcome,) = wait_for_outcomes(served, 1)
    assert (outcome.model_id, outcome.tokens_in, outcome.tokens_out) == (GEMINI, 15, 8)


def test_a_tool_answer_without_its_call_is_a_clear_error_for_gemini(
        served: Served, providers: Providers) -> None:
    got = httpx.post(f"{served.base_url}/chat/completions", json={
        "model": GEMINI, "messages": [{"role": "user", "content": "x"},
                                      {"role": "tool", "tool_call_id": "nope", "content": "1"}]})
    assert got.status_code == 400 and "'nope'" in got.json()["error"]["message"]
    assert providers.gemini.requests == []
