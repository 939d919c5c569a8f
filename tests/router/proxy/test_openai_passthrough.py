"""OpenAI-compatible providers, passed through: answers, streams, names, outcomes."""

from __future__ import annotations

import json

import httpx
from sqlmodel import select

from router.store import session_scope
from router.store.models import Outcome
from tests.fakes.chat_wire import openai_answer, openai_stream
from tests.fakes.http_server import Reply
from tests.router.proxy.conftest import CATEGORY, KEYS, OPENAI, PRICES, Providers, Served
from tests.servers import wait_until

ASK = {"messages": [{"role": "user", "content": "Write add(a, b)."}]}


def outcomes(url: str) -> list[Outcome]:
    with session_scope(url) as s:
        return list(s.exec(select(Outcome).order_by(Outcome.id)).all())


def wait_for_outcomes(served: Served, n: int) -> list[Outcome]:
    """The stored outcomes once there are `n` (they are written in batches, after the
    answer); fails naming what it waited for when they never come."""
    def enough() -> list[Outcome] | None:
        got = outcomes(served.router.database_url)
        return got if len(got) >= n else None

    return wait_until(enough, 60, f"{n} outcome(s) to be stored", interval=0.02)


def test_models_lists_auto_categories_and_placed_models(served: Served) -> None:
    got = httpx.get(f"{served.base_url}/models").json()
    ids = [m["id"] for m in got["data"]]
    assert got["object"] == "list"
    assert ids == ["routerx/auto", f"routerx/{CATEGORY}", OPENAI, "anthropic/claude-b",
                   "gemini/gem-c"]


def test_a_whole_answer_is_passed_through_with_the_answering_model(
        served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(200, openai_answer("def add(a, b): return a + b")))
    got = httpx.post(f"{served.base_url}/chat/completions",
                     json={**ASK, "model": "routerx/auto", "temperature": 0.2,
                           "tools": [{"type": "function", "function": {"name": "f"}}]},
                     headers={"authorization": "Bearer whatever-the-agent-sends"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["model"] == OPENAI and got.headers["x-routerx-model"] == OPENAI
    assert body["choices"][0]["message"]["content"] == "def add(a, b): return a + b"
    (sent,) = providers.openai.hits("/v1/chat/completions")
    upstream = sent.json()
    assert upstream["model"] == "gpt-a" and upstream["temperature"] == 0.2
    assert upstream["tools"] == [{"type": "function", "function": {"name": "f"}}]
    # routerx's key goes upstream; the agent's Authorization never does
    assert sent.headers["authorization"] == f"Bearer {KEYS['OPENAI_API_KEY']}"
    assert "whatever-the-agent-sends" not in json.dumps(sent.headers)
    (outcome,) = wait_for_outcomes(served, 1)
    assert (outcome.model_id, outcome.category, outcome.success) == (OPENAI, CATEGORY, True)
    assert (outcome.tokens_in, outcome.tokens_out) == (11, 5)
    inp, out = PRICES[OPENAI]
    assert outcome.cost_usd == (11 * inp + 5 * out) / 1e6
    assert outcome.latency_ms is not None and outcome.latency_ms > 0


def test_a_stream_is_passed_through_event_by_event(served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(stream=openai_stream(["def ", "add", "(a, b)"])))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": f"routerx/{CATEGORY}", "stream": True}) as got:
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in got.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert all(c["model"] == OPENAI for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "def add(a, b)"
    # routerx asked for usage on the agent's behalf, and keeps that chunk from the agent
    assert all(c["choices"] for c in chunks)
    upstream = providers.openai.hits("/v1/chat/completions")[0].json()
    assert upstream["stream"] is True and upstream["stream_options"] == {"include_usage": True}
    (outcome,) = wait_for_outcomes(served, 1)
    assert (outcome.success, outcome.tokens_in, outcome.tokens_out) == (True, 11, 5)
    (call,) = httpx.get(f"{served.base_url}/proxy/recent").json()["calls"]
    assert call["model"] == OPENAI and 0 < call["ttft_ms"] <= call["latency_ms"]


def test_the_usage_chunk_reaches_an_agent_that_asked_for_it(
        served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(stream=openai_stream(["hi"], usage=(3, 1))))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", "stream": True,
                            "stream_options": {"include_usage": True}}) as got:
        chunks = [json.loads(line[6:]) for line in got.iter_lines()
                  if line.startswith("data: {")]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 3
