"""A built-in provider is one row of `BUILTIN`: settings, discovery, pricing and the
OpenCode export all follow from it."""

from __future__ import annotations

import pytest

from router.discovery import poll_providers
from router.exports import custom_endpoints, opencode_id
from router.pricing.book import PriceBook
from router.providers.catalog import (
    BUILTIN,
    ProviderSpec,
    is_hosted,
    load_providers,
    models_dev_id,
    opencode_provider_id,
    provider_variables,
)
from router.settings import load_settings
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import openai_list


async def test_a_new_openai_compatible_provider_is_one_entry(
        server: FakeHTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUILTIN, "acme", ProviderSpec(
        "openai", "ACME_API_KEY", "ACME_BASE_URL", "https://api.acme.invalid/v1"))
    monkeypatch.setenv("ACME_API_KEY", "acme-key-0001")
    monkeypatch.setenv("ACME_BASE_URL", f"{server.url}/v1")
    server.route("GET", "/v1/models", Reply(200, openai_list(["coder-1"])))

    settings = load_settings()
    acme = load_providers(settings)["acme"]
    assert acme.configured and acme.base_url == f"{server.url}/v1"
    assert acme.key_env == "ACME_API_KEY"
    (poll,) = await poll_providers([acme], settings)
    assert poll.status == "ok", poll.error
    assert [m.id for m in poll.models] == ["acme/coder-1"]
    assert server.requests[0].headers["authorization"] == "Bearer acme-key-0001"

    # not in models.dev, not known to OpenCode: no catalogue price, a baseURL in the export
    assert models_dev_id("acme") is None and not is_hosted("acme")
    assert "no catalogue price" in PriceBook().price_source("acme/coder-1")
    assert opencode_id("acme/coder-1") == "acme/coder-1"
    endpoint = custom_endpoints()["acme"]
    assert (endpoint.base_url, endpoint.key_env) == (f"{server.url}/v1", "ACME_API_KEY")


def test_without_its_key_the_row_says_which_variable_to_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUILTIN, "acme", ProviderSpec(
        "openai", "ACME_API_KEY", "ACME_BASE_URL", "https://api.acme.invalid/v1"))
    acme = load_providers(load_settings())["acme"]
    assert acme.skip_reason == "no key: set ACME_API_KEY"
    assert acme.base_url == "https://api.acme.invalid/v1"


def test_the_rows_name_each_providers_ids_elsewhere() -> None:
    assert models_dev_id("gemini") == "google" and opencode_provider_id("gemini") == "google"
    assert opencode_id("gemini/gemini-3-pro") == "google/gemini-3-pro"
    assert models_dev_id("ollama") is None and not is_hosted("ollama")
    assert is_hosted("openai") and opencode_provider_id("custom") == "custom"


def test_keys_are_read_as_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-printed-0001")
    variables = provider_variables()
    assert "sk-never-printed-0001" not in repr(variables)
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key-0001")
    gemini = load_providers(load_settings())["gemini"]
    assert gemini.key_env == "GOOGLE_API_KEY"  # the variable the key came from
