"""Fallback before the first byte, the agent's own errors, and errors after the first byte."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.fakes.chat_wire import (
    anthropic_answer,
    anthropic_stream,
    gemini_answer,
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
    monkeypatch.setenv("ROUTERX_PROXY_FIRST_BYTE_TIMEOUT", "0.5")
    providers.openai.route("POST", "/v1/chat/completions",
                           Reply(stream=[(3.0, b"data: {}\n\n")]))
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
