"""Prices: routerx.toml > provider-stated > models.dev, cached with its date; unknown is None."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from router.config_file import load_file_config
from router.errors import ConfigError
from router.pricing import PriceBook, load_price_book, models_dev_catalogue
from router.settings import load_settings
from router.store import get_engine
from router.store.models import Model, PriceCatalog
from tests.fakes.http_server import FakeHTTPServer, Reply

FIXTURE = Path(__file__).parent / "fixtures" / "models_dev_api.json"
CATALOGUE = json.loads(FIXTURE.read_text())


@pytest.fixture
def models_dev(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHTTPServer]:
    """models.dev on loopback; the real one is never fetched by a test."""
    with FakeHTTPServer() as srv:
        srv.route("GET", "/api.json", Reply(200, CATALOGUE))
        monkeypatch.setenv("ROUTERX_MODELS_DEV_URL", f"{srv.url}/api.json")
        monkeypatch.setenv("ROUTERX_HTTP_TIMEOUT", "2")
        yield srv


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c


def write_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "routerx.toml"
    path.write_text(text)
    monkeypatch.setenv("ROUTERX_CONFIG", str(path))
    return path


def age_cache(database_url: str, url: str, days: float) -> None:
    with Session(get_engine(database_url)) as s:
        row = s.get(PriceCatalog, url)
        row.fetched_at = datetime.now(UTC) - timedelta(days=days)
        s.add(row)
        s.commit()


async def test_models_dev_prices_are_fetched_cached_and_reused(models_dev, client,
                                                               database_url) -> None:
    book = await load_price_book(load_settings(), client, database_url)
    # 1000 in x $1.25/M + 500 out x $10/M, by hand: 0.00125 + 0.005
    assert book.cost_usd("openai/gpt-5.2", 1000, 500) == pytest.approx(0.00625)
    assert book.cost_usd("gemini/gemini-2.5-flash", 2_000_000, 0) == pytest.approx(0.6)
    assert book.cost_usd("openrouter/qwen/qwen3-coder:free", 10_000, 10_000) == 0.0
    source = book.price_source("anthropic/claude-sonnet-4-5")
    assert source.startswith("models.dev fetched") and "anthropic/claude-sonnet-4-5" in source
    assert book.limits("openai/gpt-5.2") == (400000, 128000)
    assert len(models_dev.requests) == 1

    again = await load_price_book(load_settings(), client, database_url)
    assert len(models_dev.requests) == 1  # a copy younger than a day is not refetched
    assert again.price_source("openai/gpt-5.2").startswith("models.dev copy of")
    assert again.cost_usd("openai/gpt-5.2", 1000, 500) == pytest.approx(0.00625)


async def test_a_day_old_copy_is_refetched(models_dev, client, database_url) -> None:
    settings = load_settings()
    await models_dev_catalogue(settings, client, database_url)
    age_cache(database_url, settings.models_dev_url, days=1.5)
    changed = json.loads(json.dumps(CATALOGUE))
    changed["openai"]["models"]["gpt-5.2"]["cost"]["input"] = 2.0
    models_dev.route("GET", "/api.json", Reply(200, changed))
    book = await load_price_book(settings, client, database_url)
    assert len(models_dev.requests) == 2
    assert book.price("openai/gpt-5.2").input_per_mtok == 2.0


async def test_unreachable_models_dev_uses_the_cached_copy_and_says_how_old(
    models_dev, client, database_url
) -> None:
    settings = load_settings()
    await models_dev_catalogue(settings, client, database_url)
    age_cache(database_url, settings.models_dev_url, days=3)
    models_dev.route("GET", "/api.json", Reply(503, "down"))
    book = await load_price_book(settings, client, database_url)
    assert book.cost_usd("openai/gpt-5.2", 1000, 500) == pytest.approx(0.00625)
    source = book.price_source("openai/gpt-5.2")
    assert "unreachable" in source and "HTTP 503" in source and "3 days ago" in source


async def test_no_catalogue_at_all_makes_prices_unknown_not_zero(models_dev, client,
                                                                 database_url) -> None:
    models_dev.route("GET", "/api.json", Reply(200, "<html>captive portal</html>"))
    book = await load_price_book(load_settings(), client, database_url)
    assert book.price("openai/gpt-5.2") is None
    assert book.cost_usd("openai/gpt-5.2", 1000, 500) is None
    source = book.price_source("openai/gpt-5.2")
    assert source.startswith("unknown:") and "no cached copy" in source
    assert '[prices."openai/gpt-5.2"]' in source  # says how to fix it


async def test_a_body_not_in_models_dev_format_is_not_cached(models_dev, client,
                                                             database_url) -> None:
    models_dev.route("GET", "/api.json", Reply(200, [{"id": "gpt"}]))
    copy = await models_dev_catalogue(load_settings(), client, database_url)
    assert copy.body == {} and "api.json format" in copy.note
    with Session(get_engine(database_url)) as s:
        assert s.get(PriceCatalog, load_settings().models_dev_url) is None


async def test_precedence_toml_over_provider_over_models_dev(models_dev, client, tmp_path,
                                                             monkeypatch, database_url) -> None:
    model_id = "openrouter/anthropic/claude-sonnet-4.5"
    settings = load_settings()

    book = await load_price_book(settings, client, database_url)
    assert (book.price(model_id).input_per_mtok, book.price(model_id).output_per_mtok) == (3, 15)
    assert book.price_source(model_id).startswith("models.dev")

    with Session(get_engine(database_url)) as s:  # as discovery stores OpenRouter's prices
        s.add(Model(id=model_id, provider="openrouter", name="anthropic/claude-sonnet-4.5",
                    input_price_per_mtok=3.3, output_price_per_mtok=16.5))
        s.commit()
    book = await load_price_book(settings, client, database_url)
    assert book.cost_usd(model_id, 1_000_000, 1_000_000) == pytest.approx(19.8)
    assert book.price_source(model_id) == "stated by openrouter in its model list"

    write_toml(tmp_path, monkeypatch, f'[prices."{model_id}"]\ninput = 1.0\noutput = 2.0\n'
                                      '[prices."openrouter/*"]\ninput = 9\noutput = 9\n')
    book = await load_price_book(load_settings(), client, database_url)
    assert book.cost_usd(model_id, 1_000_000, 1_000_000) == pytest.approx(3.0)
    assert book.price_source(model_id) == f'routerx.toml [prices."{model_id}"]'
    # the provider-wide entry beats the provider and models.dev for every other model
    assert book.price_source("openrouter/qwen/qwen3-coder:free") == \
        'routerx.toml [prices."openrouter/*"]'


def test_ollama_is_unknown_unless_the_user_says_it_is_free(tmp_path, monkeypatch) -> None:
    from router.pricing import CatalogueCopy

    catalogue = CatalogueCopy(CATALOGUE, datetime.now(UTC), "models.dev test copy")
    book = PriceBook({}, {}, catalogue)
    assert book.cost_usd("ollama/llama3.1:8b", 100, 100) is None  # not ollama-cloud's price
    assert "ollama has no catalogue price" in book.price_source("ollama/llama3.1:8b")
    path = write_toml(tmp_path, monkeypatch, '[prices."ollama/*"]\ninput = 0\noutput = 0\n')
    book = PriceBook(load_file_config(path).prices, {}, catalogue)
    assert book.cost_usd("ollama/llama3.1:8b", 100, 100) == 0.0
    assert book.price_source("ollama/llama3.1:8b") == 'routerx.toml [prices."ollama/*"]'


def test_unknown_model_missing_cost_or_tokens_give_none() -> None:
    from router.pricing import CatalogueCopy

    book = PriceBook(catalogue=CatalogueCopy(CATALOGUE, datetime.now(UTC), "models.dev copy"))
    assert book.cost_usd("groq/mystery-model", 10, 10) is None   # listed without a cost
    assert book.cost_usd("groq/not-listed", 10, 10) is None
    assert book.cost_usd("vllm/qwen", 10, 10) is None            # a custom endpoint
    assert book.cost_usd("groq/llama-3.3-70b-versatile", None, 10) is None
    assert book.cost_usd("groq/llama-3.3-70b-versatile", 10, None) is None
    assert book.cost_usd("groq/llama-3.3-70b-versatile", 1_000_000, 1_000_000) == \
        pytest.approx(0.59 + 0.79)
    assert book.limits("groq/not-listed") == (None, None)


async def test_offline_and_disabled_catalogue(models_dev, client, monkeypatch,
                                              database_url) -> None:
    offline = await load_price_book(load_settings(), None, database_url)
    assert offline.price("openai/gpt-5.2") is None and models_dev.requests == []
    await load_price_book(load_settings(), client, database_url)          # fills the cache
    cached = await load_price_book(load_settings(), None, database_url)
    assert cached.price("openai/gpt-5.2") is not None
    monkeypatch.setenv("ROUTERX_MODELS_DEV_URL", "")
    disabled = await load_price_book(load_settings(), client, database_url)
    assert disabled.price("openai/gpt-5.2") is None
    assert "ROUTERX_MODELS_DEV_URL is empty" in disabled.price_source("openai/gpt-5.2")
    assert len(models_dev.requests) == 1


@pytest.mark.parametrize(("text", "message"), [
    ('[prices."gpt-5"]\ninput = 1\noutput = 2\n', '[prices."gpt-5"]: the key must be a model id'),
    ('[prices."openai/gpt-5"]\ninput = -1\noutput = 2\n',
     '[prices."openai/gpt-5"].input: Input should be greater than or equal to 0'),
    ('[prices."openai/gpt-5"]\ninput = 1\n', '[prices."openai/gpt-5"].output: Field required'),
    ('[prices."openai/gpt-5"]\ninput = 1\noutput = 2\ncached = 1\n',
     'unknown key; allowed: prices."<provider/model>".{input, output}'),
    ('[price."openai/gpt-5"]\ninput = 1\n', "unknown key; allowed: providers.<name>."),
])
def test_bad_price_entries_are_named(tmp_path, monkeypatch, text, message) -> None:
    path = write_toml(tmp_path, monkeypatch, text)
    with pytest.raises(ConfigError) as info:
        load_file_config(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)
