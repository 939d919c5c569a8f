"""Retries, Retry-After, timeouts, bad bodies and bad keys, against a real socket."""

from __future__ import annotations

import asyncio

from router.discovery import poll_providers
from router.providers.catalog import load_providers
from router.settings import load_settings
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import openai_list

OK = Reply(200, openai_list(["gpt-5.2"]))


def use_openai(server: FakeHTTPServer, monkeypatch, key: str = "sk-test") -> None:
    monkeypatch.setenv("OPENAI_API_KEY", key)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")


async def poll(names: list[str]):  # noqa: ANN201
    settings = load_settings()
    providers = load_providers(settings)
    return await poll_providers([providers[n] for n in names], settings)


async def test_429_with_retry_after_then_success(server, monkeypatch) -> None:
    use_openai(server, monkeypatch)
    server.route("GET", "/v1/models", Reply(429, {"error": "slow down"}, {"Retry-After": "1"}), OK)
    (result,) = await poll(["openai"])
    assert result.status == "ok" and [m.id for m in result.models] == ["openai/gpt-5.2"]
    first, second = server.requests
    assert second.at - first.at >= 0.95  # the server's Retry-After was honoured


async def test_persistent_500_is_an_error_after_bounded_attempts(server, monkeypatch) -> None:
    use_openai(server, monkeypatch)
    server.route("GET", "/v1/models", Reply(500, {"error": "boom"}))
    (result,) = await poll(["openai"])
    assert result.status == "error"
    assert "HTTP 500" in result.error and "gave up after 3 attempt(s)" in result.error
    assert len(server.requests) == 3  # ROUTERX_HTTP_RETRIES=2 -> three tries in all


async def test_timeout_is_that_providers_error(server, monkeypatch) -> None:
    use_openai(server, monkeypatch)
    monkeypatch.setenv("ROUTERX_HTTP_TIMEOUT", "0.3")
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "1")
    server.route("GET", "/v1/models", Reply(200, openai_list(["x"]), delay=1.5))
    (result,) = await poll(["openai"])
    assert result.status == "error" and "timed out" in result.error


async def test_malformed_json(server, monkeypatch) -> None:
    use_openai(server, monkeypatch)
    server.route("GET", "/v1/models", Reply(200, "<html>gateway</html>"))
    (result,) = await poll(["openai"])
    assert result.status == "error" and "not JSON" in result.error
    assert len(server.requests) == 1  # a bad body is not retried


async def test_wrong_key_is_not_retried_and_names_the_variable(server, monkeypatch) -> None:
    use_openai(server, monkeypatch, key="sk-WRONG-123456")
    # Like OpenAI, the error body echoes the key: it must still not reach our message.
    server.route("GET", "/v1/models", Reply(401, {"error": {
        "message": "Incorrect API key provided: sk-WRONG-123456."}}))
    (result,) = await poll(["openai"])
    assert result.status == "error"
    assert "OPENAI_API_KEY" in result.error and "401" in result.error
    assert "sk-WRONG-123456" not in result.error
    assert len(server.requests) == 1


async def test_key_list_rotates_and_a_rate_limited_key_rests(server, monkeypatch) -> None:
    use_openai(server, monkeypatch, key="sk-one,sk-two")
    server.route("GET", "/v1/models", Reply(429, {}, {"Retry-After": "0"}), OK, OK)
    (first,) = await poll(["openai"])
    assert first.status == "ok"
    used = [r.headers["authorization"] for r in server.requests]
    assert used == ["Bearer sk-one", "Bearer sk-two"]


async def test_one_slow_provider_does_not_hold_up_another(server, monkeypatch) -> None:
    """Concurrency: the second request goes out while the first is still unanswered."""
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "0")
    use_openai(server, monkeypatch)
    monkeypatch.setenv("GROQ_API_KEY", "gsk")
    monkeypatch.setenv("GROQ_BASE_URL", f"{server.url}/groq/v1")
    server.route("GET", "/v1/models", Reply(200, openai_list(["slow"]), delay=1.0))
    server.route("GET", "/groq/v1/models", Reply(200, openai_list(["fast"]), delay=1.0))
    results = await asyncio.wait_for(poll(["openai", "groq"]), timeout=10)
    assert [r.status for r in results] == ["ok", "ok"]
    a, b = server.requests
    assert abs(a.at - b.at) < 0.9  # each answer takes 1 s: the polls overlapped


async def test_a_body_that_cannot_be_decoded_is_a_provider_error(server, monkeypatch) -> None:
    """`Content-Encoding: gzip` on a body that is not gzip: httpx's DecodingError used to
    escape as a traceback; it is the provider's failure, stored like any other."""
    use_openai(server, monkeypatch)
    server.route("GET", "/v1/models", Reply(200, b"not gzip at all",
                                            {"Content-Encoding": "gzip"}))
    (result,) = await poll(["openai"])
    assert result.status == "error" and "could not be read: DecodingError" in result.error
    assert len(server.requests) == 1  # not retried: the same bytes would come again
