"""Each adapter against a loopback server speaking that provider's wire format."""

from __future__ import annotations

import json

import pytest

from router.discovery import poll_providers
from router.providers.catalog import load_providers
from router.settings import load_settings
from tests.conftest import shared_path
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import (
    anthropic_paged,
    gemini_model,
    gemini_paged,
    ollama_tags,
    openai_list,
)


async def poll_one(name: str):  # noqa: ANN201
    settings = load_settings()
    (poll,) = await poll_providers([load_providers(settings)[name]], settings)
    return poll


async def test_openai_lists_and_classifies(server: FakeHTTPServer, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    server.route("GET", "/v1/models", Reply(200, openai_list(
        ["gpt-5.2", "text-embedding-3-large", "whisper-1", "dall-e-3", "omni-moderation-latest"]
    )))
    poll = await poll_one("openai")
    assert poll.status == "ok", poll.error
    kinds = {r.id: r.kind for r in poll.models}
    assert kinds == {
        "openai/gpt-5.2": "chat", "openai/text-embedding-3-large": "embedding",
        "openai/whisper-1": "speech", "openai/dall-e-3": "image",
        "openai/omni-moderation-latest": "moderation",
    }
    (req,) = server.requests
    assert req.headers["authorization"] == "Bearer sk-test-openai"
    gpt = next(r for r in poll.models if r.name == "gpt-5.2")
    assert gpt.context_window is None and gpt.max_output_tokens is None  # not stated: not invented
    assert gpt.created_at is not None and gpt.created_at.year == 2023


async def test_groq_states_limits(server: FakeHTTPServer, monkeypatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test")
    monkeypatch.setenv("GROQ_BASE_URL", f"{server.url}/openai/v1")
    server.route("GET", "/openai/v1/models", Reply(200, openai_list(
        ["llama-3.3-70b-versatile"], context_window=131072, max_completion_tokens=32768)))
    poll = await poll_one("groq")
    (rec,) = poll.models
    assert (rec.id, rec.context_window, rec.max_output_tokens) == (
        "groq/llama-3.3-70b-versatile", 131072, 32768)


async def test_anthropic_follows_pagination_with_its_headers(
    server: FakeHTTPServer, monkeypatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    ids = ["claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-3-haiku"]
    server.route("GET", "/v1/models", anthropic_paged(ids, page_size=3))
    poll = await poll_one("anthropic")
    assert [r.name for r in poll.models] == ids
    assert len(server.requests) == 2
    assert server.requests[1].query["after_id"] == ["claude-haiku-4-5"]
    for req in server.requests:
        assert req.headers["x-api-key"] == "sk-ant-test"
        assert req.headers["anthropic-version"] == "2023-06-01"
    assert poll.models[0].display_name == "Claude-Opus-4-5"
    assert poll.models[0].created_at is not None


async def test_gemini_pages_and_keeps_key_out_of_urls(server: FakeHTTPServer, monkeypatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "AIza-test-key")  # the alternative variable works too
    monkeypatch.setenv("GEMINI_BASE_URL", server.url)
    models = [
        gemini_model("gemini-2.5-pro", ["generateContent", "countTokens"]),
        gemini_model("text-embedding-004", ["embedContent"]),
        gemini_model("gemini-2.5-flash", ["generateContent"], inp=1_000_000, out=65_536),
    ]
    server.route("GET", "/v1beta/models", gemini_paged(models, page_size=2))
    poll = await poll_one("gemini")
    assert [(r.id, r.kind) for r in poll.models] == [
        ("gemini/gemini-2.5-pro", "chat"), ("gemini/text-embedding-004", "embedding"),
        ("gemini/gemini-2.5-flash", "chat")]
    assert poll.models[2].max_output_tokens == 65_536
    assert len(server.requests) == 2 and server.requests[1].query["pageToken"] == ["2"]
    for req in server.requests:
        assert req.headers["x-goog-api-key"] == "AIza-test-key"
        assert "AIza" not in req.raw_target
    assert load_providers(load_settings())["gemini"].key_env == "GOOGLE_API_KEY"


async def test_ollama_ids_keep_colons(server: FakeHTTPServer, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", server.url)
    server.route("GET", "/api/tags", Reply(200, ollama_tags(
        ["qwen2.5-coder:7b", "llama3.1:8b", "nomic-embed-text:latest"])))
    poll = await poll_one("ollama")
    assert [(r.id, r.kind) for r in poll.models] == [
        ("ollama/qwen2.5-coder:7b", "chat"), ("ollama/llama3.1:8b", "chat"),
        ("ollama/nomic-embed-text:latest", "embedding")]
    assert "authorization" not in server.requests[0].headers


async def test_openrouter_prices_and_modalities(server: FakeHTTPServer, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-test")
    monkeypatch.setenv("OPENROUTER_BASE_URL", f"{server.url}/api/v1")
    server.route("GET", "/api/v1/models", Reply(200, {"data": [
        {"id": "anthropic/claude-sonnet-4.5", "name": "Claude Sonnet 4.5", "created": 1759161676,
         "context_length": 1_000_000, "pricing": {"prompt": "0.000003", "completion": "0.000015"},
         "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
         "top_provider": {"max_completion_tokens": 64000}},
        {"id": "openrouter/auto", "name": "Auto", "context_length": 2_000_000,
         "pricing": {"prompt": "-1", "completion": "-1"},
         "architecture": {"modality": "text->text"}, "top_provider": {}},
        {"id": "google/gemini-2.5-flash-image", "name": "Nano Banana",
         "pricing": {"prompt": "0.0000003", "completion": "0.0000025"},
         "architecture": {"output_modalities": ["image"]}},
    ]}))
    poll = await poll_one("openrouter")
    sonnet, auto, image = poll.models
    assert sonnet.id == "openrouter/anthropic/claude-sonnet-4.5"
    assert (sonnet.input_price_per_mtok, sonnet.output_price_per_mtok) == (3.0, 15.0)
    assert (sonnet.context_window, sonnet.max_output_tokens) == (1_000_000, 64000)
    assert auto.input_price_per_mtok is None  # "-1" is variable pricing: unknown, not zero
    assert auto.kind == "chat" and image.kind == "image"


async def test_custom_endpoint_from_routerx_toml(server: FakeHTTPServer, monkeypatch, tmp_path):
    (tmp_path / "routerx.toml").write_text(
        f'[providers.vllm]\nbase_url = "{server.url}/v1"\napi_key_env = "VLLM_API_KEY"\n')
    monkeypatch.setenv("VLLM_API_KEY", "vllm-secret")
    server.route("GET", "/v1/models", Reply(200, {"object": "list", "data": [
        {"id": "Qwen/Qwen2.5-Coder-32B-Instruct", "object": "model", "created": 1732000000,
         "owned_by": "vllm", "max_model_len": 32768}]}))
    poll = await poll_one("vllm")
    (rec,) = poll.models
    assert rec.id == "vllm/Qwen/Qwen2.5-Coder-32B-Instruct" and rec.context_window == 32768
    assert server.requests[0].headers["authorization"] == "Bearer vllm-secret"


@pytest.mark.parametrize(("fname", "provider", "path"), [
    ("openai_v1_models_data__lobe-chat_fixture.json", "openai", "/v1/models"),
    ("cerebras_v1_models_data__ons96-flask_app.json", "cerebras", "/v1/models"),
    ("openrouter_api_v1_models_data__lobe-chat_fixture.json", "openrouter", "/api/v1/models"),
    ("ollama_api_tags__ollama-docs-api-md_example.json", "ollama", "/api/tags"),
])
async def test_real_captured_bodies(server, monkeypatch, fname, provider, path) -> None:
    raw = json.loads(shared_path("providers", fname).read_text())
    body = {"object": "list", "data": raw} if isinstance(raw, list) else raw
    server.route("GET", path, Reply(200, body))
    base = server.url + path.rsplit("/", 1)[0].removesuffix("/api")
    env = {"openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL"),
           "cerebras": ("CEREBRAS_API_KEY", "CEREBRAS_BASE_URL"),
           "openrouter": ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"),
           "ollama": (None, "OLLAMA_HOST")}[provider]
    if env[0]:
        monkeypatch.setenv(env[0], "k-test")
    monkeypatch.setenv(env[1], base)
    poll = await poll_one(provider)
    assert poll.status == "ok", poll.error
    entries = body.get("data") or body.get("models")
    assert len(poll.models) == len(entries)
    by_name = {r.name: r for r in poll.models}
    if provider == "openai":
        assert by_name["whisper-1"].kind == "speech"
        assert by_name["text-embedding-3-large"].kind == "embedding"
        assert by_name["dall-e-2"].kind == "image"
        assert by_name["gpt-3.5-turbo"].kind == "chat"
        assert by_name["davinci-002"].kind == "completion"
    if provider == "cerebras":
        assert all(r.created_at is None for r in poll.models)  # "created": 0 means not stated
    if provider == "openrouter":
        first = entries[0]
        rec = by_name[first["id"]]
        assert rec.input_price_per_mtok == pytest.approx(float(first["pricing"]["prompt"]) * 1e6)
        assert rec.context_window == first["context_length"]
    if provider == "ollama":
        assert set(by_name) == {"codellama:13b", "llama3:latest"}
