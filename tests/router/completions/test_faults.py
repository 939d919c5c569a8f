"""Rate limits, key rotation, bad keys and timeouts, across a real socket."""

from __future__ import annotations

import asyncio

import pytest

from router.errors import ProviderAuthError, ProviderRateLimited, ProviderTimeout
from tests.fakes.http_server import Recorded, Reply
from tests.router.completions.helpers import ask, limiter
from tests.router.completions.wire import (
    anthropic_error,
    anthropic_reply,
    gemini_error,
    gemini_reply,
    openai_reply,
)

# provider -> (key variable, base URL suffix, path, OK body, error body)
WIRES = {
    "openai": ("OPENAI_API_KEY", "/v1", "/v1/chat/completions", openai_reply("ok"),
               lambda msg: {"error": {"message": msg, "type": "invalid_request_error"}}),
    "anthropic": ("ANTHROPIC_API_KEY", "", "/v1/messages", anthropic_reply("ok"),
                  lambda msg: anthropic_error("authentication_error", msg)),
    "gemini": ("GEMINI_API_KEY", "", "/v1beta/models/m-1:generateContent", gemini_reply("ok"),
               lambda msg: gemini_error(400, "INVALID_ARGUMENT", msg)),
}


def use(monkeypatch, server, provider: str, key: str) -> str:
    env, suffix, path, _, _ = WIRES[provider]
    monkeypatch.setenv(env, key)
    monkeypatch.setenv(f"{provider.upper()}_BASE_URL", server.url + suffix)
    return path


@pytest.mark.parametrize("provider", WIRES)
async def test_429_storm_with_retry_after_then_success(server, client, monkeypatch,
                                                       provider) -> None:
    path = use(monkeypatch, server, provider, "k-only-0001")
    limited = Reply(429, WIRES[provider][4]("rate limited"), {"Retry-After": "1"})
    server.route("POST", path, limited, limited, Reply(200, WIRES[provider][3]))
    done = await asyncio.wait_for(ask(f"{provider}/m-1", client), timeout=20)
    assert done.text == "ok" and done.attempts == 3
    first, second, third = server.requests
    assert second.at - first.at >= 0.95 and third.at - second.at >= 0.95  # Retry-After kept
    # Latency is the successful request's own time, not the two seconds of waiting.
    assert done.latency_ms < (third.at - first.at) * 1000


async def test_anthropic_overloaded_529_is_retried(server, client, monkeypatch) -> None:
    path = use(monkeypatch, server, "anthropic", "k-only-0001")
    server.route("POST", path, Reply(529, anthropic_error("overloaded_error", "Overloaded")),
                 Reply(200, anthropic_reply("fine")))
    done = await ask("anthropic/claude-x", client)
    assert (done.text, done.attempts) == ("fine", 2)


async def test_rate_limit_beyond_the_budget_is_rate_limited(server, client, monkeypatch) -> None:
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "2")
    path = use(monkeypatch, server, "openai", "k-only-0001")
    server.route("POST", path, Reply(429, {"error": {"message": "slow"}}, {"Retry-After": "0"}))
    with pytest.raises(ProviderRateLimited, match=r"429.*gave up after 3 attempt\(s\)"):
        await ask("openai/gpt-5.2", client)
    assert len(server.requests) == 3


async def test_a_rate_limited_key_rests_while_the_other_works(server, client, monkeypatch) -> None:
    """Key one is limited for 30 s: its retry goes out at once with key two, and every
    later request (other tasks sharing the limiter) uses key two while key one rests."""
    path = use(monkeypatch, server, "openai", "sk-one-1111,sk-two-2222")

    def handler(rec: Recorded) -> Reply:
        if rec.headers["authorization"] == "Bearer sk-one-1111":
            return Reply(429, {"error": {"message": "limit"}}, {"Retry-After": "30"})
        return Reply(200, openai_reply("ok"))

    server.route("POST", path, handler)
    lim = limiter()
    first = await asyncio.wait_for(ask("openai/gpt-5.2", client, lim), timeout=10)
    assert first.attempts == 2
    rest = await asyncio.wait_for(
        asyncio.gather(*(ask("openai/gpt-5.2", client, lim) for _ in range(4))), timeout=10)
    assert all(c.text == "ok" and c.attempts == 1 for c in rest)
    used = [r.headers["authorization"].removeprefix("Bearer ") for r in server.requests]
    assert used == ["sk-one-1111"] + ["sk-two-2222"] * 5


async def test_two_keys_rotate(server, client, monkeypatch) -> None:
    path = use(monkeypatch, server, "anthropic", "ka-1111,kb-2222")
    server.route("POST", path, Reply(200, anthropic_reply("ok")))
    lim = limiter()
    for _ in range(4):
        await ask("anthropic/claude-x", client, lim)
    assert [r.headers["x-api-key"] for r in server.requests] == ["ka-1111", "kb-2222"] * 2


@pytest.mark.parametrize("provider", WIRES)
async def test_401_names_the_variable_and_never_the_key(server, client, monkeypatch,
                                                        provider) -> None:
    key = "WRONG-key-31337"
    path = use(monkeypatch, server, provider, key)
    # Like OpenAI, the body echoes the key: it must still not reach the message.
    server.route("POST", path, Reply(401, WIRES[provider][4](f"Incorrect API key: {key}")))
    with pytest.raises(ProviderAuthError) as info:
        await ask(f"{provider}/m-1", client)
    message = str(info.value)
    assert WIRES[provider][0] in message and "401" in message
    assert key not in message and "31337" not in message
    assert len(server.requests) == 1  # a wrong key is not retried


async def test_gemini_key_never_in_a_url_even_across_retries(server, client, monkeypatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-one-1111,AIza-two-2222")
    monkeypatch.setenv("GEMINI_BASE_URL", server.url)
    path = WIRES["gemini"][2]
    server.route("POST", path,
                 Reply(429, gemini_error(429, "RESOURCE_EXHAUSTED", "quota"), {"Retry-After": "0"}),
                 Reply(403, gemini_error(403, "PERMISSION_DENIED", "no access")))
    with pytest.raises(ProviderAuthError, match="GEMINI_API_KEY"):
        await ask("gemini/m-1", client)
    assert [r.headers["x-goog-api-key"] for r in server.requests] == ["AIza-one-1111",
                                                                       "AIza-two-2222"]
    for rec in server.requests:
        assert "AIza" not in rec.raw_target and "key" not in rec.query


async def test_a_slow_answer_times_out(server, client, monkeypatch) -> None:
    monkeypatch.setenv("ROUTERX_COMPLETION_TIMEOUT", "0.3")
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "1")
    path = use(monkeypatch, server, "openai", "k-only-0001")
    server.route("POST", path, Reply(200, openai_reply("late"), delay=1.5))
    with pytest.raises(ProviderTimeout, match="timed out"):
        await ask("openai/gpt-5.2", client)
    assert len(server.requests) == 2
