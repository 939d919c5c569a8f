"""A provider that echoes the key, in a 200 answer or across the cut of an error body,
never gets a fragment of it into a Completion, an exception message or a log line."""

from __future__ import annotations

import logging

import pytest

from router.errors import ProviderError, ProviderResponseError
from tests.fakes.http_server import Reply
from tests.fakes.secrets import KEY_A, KEY_B, KEYS, across_the_cut, fragments
from tests.router.completions.helpers import ask, limiter
from tests.router.completions.test_faults import WIRES, use
from tests.router.completions.wire import anthropic_reply, gemini_reply, openai_reply

REPLIES = {"openai": openai_reply, "anthropic": anthropic_reply, "gemini": gemini_reply}


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # httpx, tenacity, routerx: every line is checked


@pytest.mark.parametrize("provider", WIRES)
async def test_an_answer_that_echoes_the_key_is_redacted(server, client, monkeypatch, caplog,
                                                         provider) -> None:
    path = use(monkeypatch, server, provider, KEYS)
    leaky = (f"def f():\n    return '{KEY_A}'  # also {KEY_B[:12]} and ...{KEY_A[-9:]}\n"
             f"x = 1")
    server.route("POST", path, Reply(200, REPLIES[provider](leaky)))
    lim = limiter()
    answers = [await ask(f"{provider}/m-1", client, lim) for _ in range(2)]
    assert len({r.headers.get("authorization") or r.headers.get("x-api-key")
                or r.headers.get("x-goog-api-key") for r in server.requests}) == 2  # rotated
    for answer in answers:
        assert fragments(answer.text) == []
        assert answer.text.startswith("def f():\n    return '***'") and answer.text.endswith(
            "x = 1")
    assert fragments(caplog.text) == []


@pytest.mark.parametrize("status", [400, 500])
@pytest.mark.parametrize("before", [20, 5])
@pytest.mark.parametrize("provider", WIRES)
async def test_a_key_across_the_cut_of_an_error_body_is_gone(
        server, client, monkeypatch, caplog, provider, status, before) -> None:
    """The body is cut at 200 characters for the message; the key starts `before`
    characters ahead of the cut. Cut first, a prefix of the key would stay."""
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "1")
    path = use(monkeypatch, server, provider, KEYS)
    body = across_the_cut(WIRES[provider][4], KEY_A, before)
    server.route("POST", path, Reply(status, body, {"Retry-After": "0"}))
    with pytest.raises(ProviderError) as info:
        await ask(f"{provider}/m-1", client)
    message = str(info.value)
    assert f"HTTP {status}" in message and "PPPP" in message  # the body is quoted...
    assert fragments(message) == [] and KEY_A[:before] not in message  # ...without the key
    assert fragments(caplog.text) == []


async def test_an_error_inside_a_200_answer_is_redacted_before_it_is_cut(
        server, client, monkeypatch, caplog) -> None:
    path = use(monkeypatch, server, "openai", KEYS)
    error = {"message": "P" * 190 + KEY_B, "type": "invalid_request_error"}
    server.route("POST", path, Reply(200, {"error": error}))
    with pytest.raises(ProviderResponseError, match="without `choices`") as info:
        await ask("openai/m-1", client)
    assert fragments(str(info.value)) == [] and fragments(caplog.text) == []
