"""Fallback before the first byte, the agent's own errors, and errors after the first byte."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fakes.chat_wire import (
    anthropic_answer,
    anthropic_stream,
    gemini_answer,
    gemini_stream,
    openai_stream,
)
from tests.fakes.http_server import BREAK, Reply
from tests.router.proxy.conftest import (
    ANTHROPIC,
    GEMINI,
    KEYS,
    OPENAI,
    Providers,
    Served,
    serve,
)
from tests.router.proxy.test_openai_passthrough import ASK, wait_for_outcomes
from tests.servers import wait_until

ANTHROPIC_PATH, GEMINI_PATH = "/v1/messages", "/v1beta/models/gem-c:generateContent"


def post(served: Served, **extra: object) -> httpx.Response:
    return httpx.post(f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", **extra}, timeout=30)


@pytest.mark.parametrize("failure", [
    Reply(429, {"error": {"message": "slow down"}}, {"retry-after": "1"}),
    Reply(500, {"error": {"message": "oops"}}),
    Reply(503, "upstream unavailable"),
    Reply(401, {"error": {"message": "bad key"}}),
])
def test_a_failure_before_the_first_byte_moves_to_the_next_model(
        served: Served, providers: Providers, failure: Reply) -> None:
    providers.openai.route("POST", "/v1/chat/completions", failure)
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(200, anthropic_answer("ok")))
    got = post(served)
    assert got.status_code == 200, got.text
    assert got.json()["model"] == ANTHROPIC and got.headers["x-routerx-model"] == ANTHROPIC
    assert got.headers["x-routerx-attempts"] == "2"
    assert got.json()["choices"][0]["message"]["content"] == "ok"
    first, second = wait_for_outcomes(served, 2)
    assert (first.model_id, first.success) == (OPENAI, False)
    assert (second.model_id, second.success) == (ANTHROPIC, True)


def test_a_provider_that_cannot_be_reached_is_passed(
        served: Served, providers: Providers, monkeypatch: pytest.MonkeyPatch) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(stream=[BREAK]))
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(502, "bad gateway"))
    providers.gemini.route("POST", GEMINI_PATH, Reply(200, gemini_answer("from gemini")))
    got = post(served)
    assert got.status_code == 200 and got.json()["model"] == GEMINI
    assert got.headers["x-routerx-attempts"] == "3"


def test_a_stream_that_breaks_before_its_first_event_falls_back(
        served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(stream=[BREAK]))
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(stream=anthropic_stream(["hi"])))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", "stream": True}) as got:
        assert got.headers["x-routerx-model"] == ANTHROPIC
        body = got.read().decode()
    assert '"content":"hi"' in body and body.rstrip().endswith("data: [DONE]")


def test_a_slow_first_event_times_out_and_falls_back(
        providers: Providers, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_PROXY_FIRST_BYTE_TIMEOUT", "2")  # ample under load
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(stream=[(8.0, b"data: {}\n\n")]))
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(stream=anthropic_stream(["ok"])))
    with serve(store) as served, httpx.stream(
            "POST", f"{served.base_url}/chat/completions",
            json={**ASK, "model": "routerx/auto", "stream": True}, timeout=30) as got:
        assert got.status_code == 200 and got.headers["x-routerx-model"] == ANTHROPIC
        got.read()


def test_the_agents_own_mistake_is_not_retried(served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(400, {"error": {"message": "max_tokens is too large"}}))
    got = post(served)
    assert got.status_code == 400
    assert "max_tokens is too large" in got.json()["error"]["message"]
    assert providers.anthropic.hits(ANTHROPIC_PATH) == []


def test_tries_are_bounded_and_every_failure_is_said(
        providers: Providers, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_PROXY_MAX_TRIES", "2")
    providers.openai.route("POST", "/v1/chat/completions", Reply(429, {"error": {}}))
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(429, {"error": {}}))
    with serve(store) as served:
        got = post(served)
    assert got.status_code == 429 and got.json()["error"]["type"] == "rate_limit_exceeded"
    message = got.json()["error"]["message"]
    assert OPENAI in message and ANTHROPIC in message and "2 tried" in message
    assert providers.gemini.requests == []


def test_an_unconfigured_provider_is_passed_over_without_a_try(
        providers: Providers, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(200, anthropic_answer("ok")))
    with serve(store) as served:
        got = post(served)
    assert got.status_code == 200 and got.headers["x-routerx-attempts"] == "1"


def test_a_provider_echoing_the_key_never_shows_it(served: Served, providers: Providers) -> None:
    key = KEYS["OPENAI_API_KEY"]
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(400, {"error": {"message": f"key {key} is not allowed"}}))
    got = post(served)
    assert got.status_code == 400 and key[:12] not in got.text and "SECRET" not in got.text


def test_after_the_first_byte_the_error_is_the_agents(
        served: Served, providers: Providers) -> None:
    pieces = openai_stream(["def ", "add"])
    providers.openai.route("POST", "/v1/chat/completions", Reply(stream=pieces[:3] + [BREAK]))
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(200, anthropic_answer("no")))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", "stream": True}) as got:
        lines = [line for line in got.iter_lines() if line.startswith("data: ")]
    assert json.loads(lines[-1][6:])["error"]["message"].startswith("the provider's stream")
    assert "[DONE]" not in lines[-1]
    assert providers.anthropic.hits(ANTHROPIC_PATH) == []
    (outcome,) = wait_for_outcomes(served, 1)
    assert (outcome.model_id, outcome.success) == (OPENAI, False)


def test_every_model_failing_is_one_clear_error(served: Served, providers: Providers) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(500, "x"))
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(500, "y"))
    providers.gemini.route("POST", GEMINI_PATH, Reply(503, "z"))
    got = post(served)
    assert got.status_code == 502 and "3 tried" in got.json()["error"]["message"]
    assert len(wait_for_outcomes(served, 3)) == 3


def test_an_opening_role_chunk_is_not_the_first_token(
        served: Served, providers: Providers) -> None:
    """Anthropic opens with message_start and may then say it is overloaded; an OpenAI
    stream may open with a role-only chunk and break. Neither reached a token: both fall
    back, and the agent sees one clean answer."""
    opening = openai_stream(["never"])[:1]
    providers.openai.route("POST", "/v1/chat/completions", Reply(stream=[*opening, BREAK]))
    overloaded = anthropic_stream(["never"])[:2] + [(0.0, (
        b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
        b'"message": "Overloaded"}}\n\n'))]
    providers.anthropic.route("POST", ANTHROPIC_PATH, Reply(stream=overloaded))
    providers.gemini.route("POST", "/v1beta/models/gem-c:streamGenerateContent",
                           Reply(stream=gemini_stream(["from gemini"])))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", "stream": True}) as got:
        assert got.headers["x-routerx-model"] == GEMINI
        assert got.headers["x-routerx-attempts"] == "3"
        chunks = [json.loads(line[6:]) for line in got.iter_lines()
                  if line.startswith("data: {")]
    roles = [c for c in chunks if c["choices"][0]["delta"].get("role")]
    assert len(roles) == 1 and {c["model"] for c in chunks} == {GEMINI}
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "from gemini"


def test_an_agent_that_hangs_up_stops_the_upstream_stream(
        served: Served, providers: Providers) -> None:
    slow = openai_stream([f"t{i} " for i in range(40)], gap=0.25)
    providers.openai.route("POST", "/v1/chat/completions", Reply(stream=slow),
                           Reply(200, {"choices": [{"index": 0, "finish_reason": "stop",
                                                    "message": {"role": "assistant",
                                                                "content": "next"}}]}))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", "stream": True}) as got:
        lines = got.iter_lines()
        assert next(line for line in lines if '"t0 "' in line)
    # the agent is gone: routerx closes its upstream connection instead of reading on
    wait_until(lambda: providers.openai.streams_cut_by_client > 0, 60,
               "routerx to cut the upstream stream", interval=0.05)
    assert post(served).json()["choices"][0]["message"]["content"] == "next"
    calls = httpx.get(f"{served.base_url}/proxy/recent").json()["calls"]
    assert len(calls) == 1  # the abandoned call is no outcome: the agent left, not the model


def test_an_error_inside_a_stream_reaches_the_agent_redacted(
        served: Served, providers: Providers) -> None:
    key = KEYS["OPENAI_API_KEY"]
    error = json.dumps({"error": {"message": f"quota of {key} exhausted"}}).encode()
    # one read holds the opening, the first token and the error: the token commits
    one_read = b"".join(p for _, p in openai_stream(["def "])[:2]) + b"data: " + error + b"\n\n"
    pieces = [(0.0, one_read)]
    providers.openai.route("POST", "/v1/chat/completions", Reply(stream=pieces))
    with httpx.stream("POST", f"{served.base_url}/chat/completions",
                      json={**ASK, "model": "routerx/auto", "stream": True}) as got:
        body = got.read().decode()
    assert '"content": "def "' in body and "exhausted" in body
    assert "SECRET" not in body and key[:10] not in body
    (outcome,) = wait_for_outcomes(served, 1)
    assert outcome.success is False
