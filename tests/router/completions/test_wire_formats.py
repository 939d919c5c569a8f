"""Each wire format against a loopback server: what is sent, and what is read back."""

from __future__ import annotations

import pytest

from router.errors import InputError, ProviderError, ProviderResponseError, UnknownNameError
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.router.completions.helpers import MESSAGES, ask
from tests.router.completions.wire import anthropic_reply, gemini_reply, openai_reply


def use(monkeypatch, server: FakeHTTPServer, provider: str, key: str = "k-test-123") -> None:
    env = {"openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL", "/v1"),
           "groq": ("GROQ_API_KEY", "GROQ_BASE_URL", "/openai/v1"),
           "openrouter": ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "/api/v1"),
           "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", ""),
           "gemini": ("GEMINI_API_KEY", "GEMINI_BASE_URL", "")}[provider]
    monkeypatch.setenv(env[0], key)
    monkeypatch.setenv(env[1], server.url + env[2])


async def test_openai_sends_chat_completions_and_reads_text_usage_latency(
    server, client, monkeypatch
) -> None:
    use(monkeypatch, server, "openai", "sk-abc-123")
    server.route("POST", "/v1/chat/completions",
                 Reply(200, openai_reply("def add(a, b): return a + b", 31, 12), delay=0.25))
    done = await ask("openai/gpt-5.2", client, seed=7)
    assert done.text == "def add(a, b): return a + b"
    assert (done.tokens_in, done.tokens_out, done.finish_reason) == (31, 12, "stop")
    assert done.attempts == 1 and done.model_id == "openai/gpt-5.2" and done.temperature == 0.2
    assert done.latency_ms >= 250  # measured: includes the server's 0.25 s
    (req,) = server.requests
    assert req.headers["authorization"] == "Bearer sk-abc-123"
    body = req.json()
    assert body == {"model": "gpt-5.2", "messages": MESSAGES, "temperature": 0.2,
                    "max_completion_tokens": 256, "stream": False, "seed": 7}


async def test_compatible_servers_get_max_tokens(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "groq")
    server.route("POST", "/openai/v1/chat/completions", Reply(200, openai_reply("x")))
    await ask("groq/llama-3.3-70b-versatile", client)
    body = server.requests[0].json()
    assert body["max_tokens"] == 256 and "max_completion_tokens" not in body
    assert "seed" not in body


async def test_openrouter_model_keeps_its_slashes(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "openrouter")
    server.route("POST", "/api/v1/chat/completions", Reply(200, openai_reply("ok")))
    done = await ask("openrouter/anthropic/claude-sonnet-4.5", client)
    assert server.requests[0].json()["model"] == "anthropic/claude-sonnet-4.5"
    assert done.model_id == "openrouter/anthropic/claude-sonnet-4.5"


@pytest.mark.parametrize("host", ["{url}", "{hostport}"])
async def test_ollama_speaks_openai_under_v1_without_a_key(
    server, client, monkeypatch, host
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", host.format(url=server.url,
                                                  hostport=server.url.removeprefix("http://")))
    server.route("POST", "/v1/chat/completions", Reply(200, openai_reply("hi")))
    done = await ask("ollama/llama3.1:8b", client)
    assert done.text == "hi"
    (req,) = server.requests
    assert req.json()["model"] == "llama3.1:8b"  # never split on ':'
    assert "authorization" not in req.headers


async def test_custom_endpoint_from_routerx_toml(server, client, monkeypatch, tmp_path) -> None:
    toml = tmp_path / "routerx.toml"
    toml.write_text(f'[providers.vllm]\nbase_url = "{server.url}/v1"\n'
                    'api_key_env = "VLLM_API_KEY"\n')
    monkeypatch.setenv("ROUTERX_CONFIG", str(toml))
    monkeypatch.setenv("VLLM_API_KEY", "vllm-secret")
    server.route("POST", "/v1/chat/completions", Reply(200, openai_reply("from vllm", 3, 2)))
    done = await ask("vllm/Qwen/Qwen2.5-Coder-7B", client)
    assert (done.text, done.tokens_in, done.tokens_out) == ("from vllm", 3, 2)
    req = server.requests[0]
    assert req.headers["authorization"] == "Bearer vllm-secret"
    assert req.json()["model"] == "Qwen/Qwen2.5-Coder-7B"


async def test_missing_usage_is_none_not_zero(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "openai")
    server.route("POST", "/v1/chat/completions", Reply(200, openai_reply("x", prompt=None)))
    done = await ask("openai/gpt-5.2", client)
    assert done.tokens_in is None and done.tokens_out is None


async def test_openai_body_without_choices_is_a_response_error(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "openrouter")
    server.route("POST", "/api/v1/chat/completions",
                 Reply(200, {"error": {"code": 502, "message": "upstream overloaded"}}))
    with pytest.raises(ProviderResponseError, match="without `choices`.*upstream overloaded"):
        await ask("openrouter/some/model", client)
    assert len(server.requests) == 1


async def test_anthropic_messages(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "anthropic", "sk-ant-xyz-789")
    server.route("POST", "/v1/messages",
                 Reply(200, anthropic_reply("return a + b", inp=40, out=6, cache_read=100)))
    done = await ask("anthropic/claude-sonnet-4-5", client, seed=3)
    assert done.text == "return a + b"  # the thinking block is not part of the answer
    assert (done.tokens_in, done.tokens_out) == (140, 6)  # cached prompt tokens counted
    assert done.finish_reason == "end_turn"
    (req,) = server.requests
    assert req.headers["x-api-key"] == "sk-ant-xyz-789"
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in req.headers
    assert req.json() == {
        "model": "claude-sonnet-4-5", "max_tokens": 256, "temperature": 0.2,
        "system": "Answer with code only.",
        "messages": [{"role": "user", "content": "Write add(a, b)."}],
    }


async def test_anthropic_without_content_is_a_response_error(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "anthropic")
    server.route("POST", "/v1/messages", Reply(200, {"type": "message"}))
    with pytest.raises(ProviderResponseError, match="without `content`"):
        await ask("anthropic/claude-x", client)


async def test_gemini_generate_content(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "gemini", "AIza-secret-456")
    path = "/v1beta/models/gemini-2.5-flash:generateContent"
    server.route("POST", path, Reply(200, gemini_reply("print(1)", 50, 9, thoughts=30)))
    messages = [*MESSAGES, {"role": "assistant", "content": "def add"},
                {"role": "user", "content": "go on"}]
    done = await ask("gemini/gemini-2.5-flash", client, seed=11, messages=messages)
    assert done.text == "print(1)"  # thought parts are not the answer
    assert (done.tokens_in, done.tokens_out, done.finish_reason) == (50, 39, "STOP")
    (req,) = server.requests
    assert req.headers["x-goog-api-key"] == "AIza-secret-456"
    assert "AIza-secret-456" not in req.raw_target and "key=" not in req.raw_target
    assert req.json() == {
        "contents": [
            {"role": "user", "parts": [{"text": "Write add(a, b)."}]},
            {"role": "model", "parts": [{"text": "def add"}]},
            {"role": "user", "parts": [{"text": "go on"}]},
        ],
        "generationConfig": {"temperature": 0.2, "maxOutputTokens": 256, "seed": 11},
        "systemInstruction": {"parts": [{"text": "Answer with code only."}]},
    }


async def test_gemini_thinking_only_counts_and_blocked_prompt(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "gemini")
    path = "/v1beta/models/gemini-2.5-pro:generateContent"
    server.route("POST", path,
                 Reply(200, gemini_reply("", 10, candidates=None, thoughts=64,
                                         finish="MAX_TOKENS")),
                 Reply(200, {"promptFeedback": {"blockReason": "SAFETY"},
                             "usageMetadata": {"promptTokenCount": 5}}))
    cut = await ask("gemini/gemini-2.5-pro", client)
    assert (cut.text, cut.tokens_out, cut.finish_reason) == ("", 64, "MAX_TOKENS")
    blocked = await ask("gemini/gemini-2.5-pro", client)
    assert (blocked.text, blocked.tokens_in, blocked.tokens_out) == ("", 5, None)
    assert blocked.finish_reason == "blocked:SAFETY"


async def test_bad_requests_are_refused_before_any_traffic(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "openai")
    with pytest.raises(InputError, match="provider/model"):
        await ask("gpt-5.2", client)
    with pytest.raises(UnknownNameError, match="known: anthropic, cerebras"):
        await ask("nosuch/model", client)
    with pytest.raises(InputError, match=r"messages\[0\].role"):
        await ask("openai/gpt-5.2", client, messages=[{"role": "robot", "content": "x"}])
    with pytest.raises(InputError, match="max_tokens"):
        await ask("openai/gpt-5.2", client, max_tokens=0)
    with pytest.raises(ProviderError, match="no key: set GROQ_API_KEY"):
        await ask("groq/llama-3.3-70b-versatile", client)
    assert server.requests == []


async def test_a_refused_temperature_is_dropped_and_reported(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "openai")
    refused = {"error": {"message": "Unsupported value: 'temperature' does not support 0.2 with "
                         "this model. Only the default (1) value is supported.",
                         "type": "invalid_request_error", "param": "temperature",
                         "code": "unsupported_value"}}
    server.route("POST", "/v1/chat/completions", Reply(400, refused), Reply(200, openai_reply("k")))
    done = await ask("openai/o4-mini", client)
    assert (done.text, done.temperature, done.attempts) == ("k", None, 2)
    first, second = (r.json() for r in server.requests)
    assert first["temperature"] == 0.2 and "temperature" not in second


async def test_other_400s_are_not_resent(server, client, monkeypatch) -> None:
    use(monkeypatch, server, "openai")
    server.route("POST", "/v1/chat/completions",
                 Reply(400, {"error": {"message": "max_completion_tokens is too large"}}))
    with pytest.raises(ProviderError, match="HTTP 400.*too large"):
        await ask("openai/gpt-5.2", client)
    assert len(server.requests) == 1
