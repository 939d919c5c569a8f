"""Real clients against the endpoint: the official `openai` SDK, streaming and not, and a
simulated agent that speaks only the OpenAI API and still drives the learning loop."""

from __future__ import annotations

import json

import openai
import pytest

from tests.fakes.chat_wire import anthropic_answer, anthropic_stream, gemini_stream
from tests.fakes.http_server import Reply
from tests.router.proxy.conftest import (
    ANTHROPIC,
    CATEGORY,
    GEMINI,
    OPENAI,
    Providers,
    Served,
    serve,
)
from tests.router.proxy.test_openai_passthrough import wait_for_outcomes

MESSAGES = [{"role": "user", "content": "Write add(a, b)."}]


def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.base_url, api_key="not-a-provider-key", max_retries=0,
                         timeout=30)


def test_openai_sdk_whole_answer_after_a_fallback(served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(429, {"error": {}}))
    providers.anthropic.route("POST", "/v1/messages", Reply(200, anthropic_answer(
        "def add(a, b): return a + b", tool=("toolu_1", "write_file", '{"path": "a.py"}'))))
    raw = client(served).chat.completions.with_raw_response.create(
        model="routerx/auto", messages=MESSAGES,
        tools=[{"type": "function", "function": {"name": "write_file", "parameters": {
            "type": "object", "properties": {"path": {"type": "string"}}}}}])
    assert raw.headers["x-routerx-model"] == ANTHROPIC
    answer = raw.parse()
    assert answer.model == ANTHROPIC
    assert answer.choices[0].message.content == "def add(a, b): return a + b"
    (call,) = answer.choices[0].message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == ("write_file",
                                                                          {"path": "a.py"})
    assert answer.usage.prompt_tokens == 20


def test_openai_sdk_stream_from_gemini(providers: Providers, store: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("ANTHROPIC_API_KEY")  # only Gemini is configured: it answers
    providers.gemini.route("POST", "/v1beta/models/gem-c:streamGenerateContent",
                           Reply(stream=gemini_stream(["def add", "(a, b):", " ..."])))
    with serve(store) as served:
        stream = client(served).chat.completions.create(
            model=f"routerx/{CATEGORY}", messages=MESSAGES, stream=True,
            stream_options={"include_usage": True})
        chunks = list(stream)
    assert {c.model for c in chunks} == {GEMINI}
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == \
        "def add(a, b): ..."
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 8


def test_openai_sdk_sees_a_clear_error_when_every_model_fails(
        served: Served, providers: Providers) -> None:
    for fake, path in ((providers.openai, "/v1/chat/completions"),
                       (providers.anthropic, "/v1/messages"),
                       (providers.gemini, "/v1beta/models/gem-c:generateContent")):
        fake.route("POST", path, Reply(503, "down"))
    with pytest.raises(openai.APIStatusError) as raised:
        client(served).chat.completions.create(model="routerx/auto", messages=MESSAGES)
    assert raised.value.status_code == 502 and "3 tried" in raised.value.message


def test_an_agent_that_only_speaks_openai_drives_the_learning_loop(
        served: Served, providers: Providers) -> None:
    """The routed model keeps failing at its provider; the fallback answers. With nothing
    but chat requests, the outcomes move the posteriors until routes go to the model that
    works first."""
    served.router.activate("balanced", budget=0)  # exploit: the best posterior mean
    providers.openai.route("POST", "/v1/chat/completions", Reply(500, "broken"))
    providers.anthropic.route("POST", "/v1/messages", Reply(stream=anthropic_stream(["ok"])))
    sdk = client(served)
    first_tries = []
    for i in range(12):
        raw = sdk.chat.completions.with_raw_response.create(
            model="routerx/auto", messages=MESSAGES, stream=True, user=f"task-{i}")
        assert "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices) \
            == "ok"
        first_tries.append((raw.headers["x-routerx-model"], raw.headers["x-routerx-attempts"]))
        wait_for_outcomes(served, 2 * (i + 1) - sum(a == "1" for _, a in first_tries))
    assert first_tries[0] == (ANTHROPIC, "2")   # OPENAI was routed first, and failed
    assert first_tries[-1] == (ANTHROPIC, "1")  # now ANTHROPIC is routed first
    failing = served.router.belief(CATEGORY, OPENAI)
    working = served.router.belief(CATEGORY, ANTHROPIC)
    assert failing is not None and working is not None
    assert failing[0] / sum(failing) < working[0] / sum(working)


@pytest.mark.postgres
def test_outcomes_of_proxied_calls_land_in_postgresql(providers: Providers) -> None:
    from sqlmodel import select

    from router.store import session_scope
    from router.store.models import Outcome
    from tests.conftest import postgres_schema
    from tests.router.proxy.conftest import catalogue, placements
    from tests.router.routing_fixtures import seed

    with postgres_schema() as url:
        order = [OPENAI, ANTHROPIC, GEMINI]
        seed(url, placements(order), catalogue(order))
        providers.openai.route("POST", "/v1/chat/completions", Reply(500, "x"))
        providers.anthropic.route("POST", "/v1/messages", Reply(200, anthropic_answer("ok")))
        with serve(url) as served:
            answer = client(served).chat.completions.create(
                model="routerx/auto", messages=MESSAGES, user="pg-task")
            assert answer.model == ANTHROPIC
            wait_for_outcomes(served, 2)
        with session_scope(url) as s:
            rows = {(o.model_id, o.success, o.task_id) for o in s.exec(select(Outcome))}
        assert rows == {(OPENAI, False, "pg-task"), (ANTHROPIC, True, "pg-task")}


def test_a_pin_and_task_stickiness_hold_through_the_endpoint(
        served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(200, {
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "openai"}}]}))
    providers.anthropic.route("POST", "/v1/messages", Reply(200, anthropic_answer("claude")))
    providers.gemini.route("POST", "/v1beta/models/gem-c:generateContent", Reply(200, {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "gemini"}]},
                        "finishReason": "STOP"}]}))
    sdk = client(served)
    served.router.pin(CATEGORY, GEMINI)
    assert sdk.chat.completions.create(model="routerx/auto", messages=MESSAGES).model == GEMINI
    served.router.unpin(CATEGORY)
    # every route is a Thompson draw now; a task keeps the model it was given
    served.router.activate("aggressive", budget=100)
    chosen = {sdk.chat.completions.create(
        model="routerx/auto", messages=MESSAGES,
        extra_headers={"x-routerx-task-id": "sticky-1"}).model for _ in range(6)}
    assert len(chosen) == 1
