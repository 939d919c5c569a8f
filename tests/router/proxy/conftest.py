"""Loopback fake providers of all three wire formats, a seeded store, and routerx serve
on a real loopback socket in front of them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from router.api import create_app
from router.router import Router
from router.store.models import Model
from tests.fakes.http_server import FakeHTTPServer
from tests.router.routing_fixtures import seed
from tests.servers import uvicorn_thread

CATEGORY = "code-generation"
OPENAI, ANTHROPIC, GEMINI = "openai/gpt-a", "anthropic/claude-b", "gemini/gem-c"
KEYS = {"OPENAI_API_KEY": "sk-openai-SECRET-0123456789",
        "ANTHROPIC_API_KEY": "sk-ant-SECRET-0123456789",
        "GEMINI_API_KEY": "AIza-gemini-SECRET-0123456789"}
PRICES = {OPENAI: (2.0, 8.0), ANTHROPIC: (3.0, 15.0), GEMINI: (1.0, 4.0)}


@dataclass
class Providers:
    openai: FakeHTTPServer
    anthropic: FakeHTTPServer
    gemini: FakeHTTPServer


def placements(order: list[str]) -> dict[str, list[dict]]:
    return {CATEGORY: [{"model": m, "layer": 1 + i, "score": 1.0 - i / 10,
                        "provisional": False, "pass_rate": 0.8 - i / 10}
                       for i, m in enumerate(order)]}


def catalogue(order: list[str]) -> list[Model]:
    return [Model(id=m, provider=m.split("/")[0], name=m.split("/", 1)[1], status="assessed",
                  max_output_tokens=4096) for m in order]


@pytest.fixture
def providers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Providers]:
    with FakeHTTPServer() as oa, FakeHTTPServer() as an, FakeHTTPServer() as ge:
        for name, value in KEYS.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("OPENAI_BASE_URL", f"{oa.url}/v1")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", an.url)
        monkeypatch.setenv("GEMINI_BASE_URL", ge.url)
        monkeypatch.setenv("ROUTERX_COMPLETION_TIMEOUT", "10")
        monkeypatch.setenv("ROUTERX_PROXY_OUTCOME_BATCH_MS", "5")
        toml = tmp_path / "routerx.toml"
        toml.write_text("".join(f'[prices."{m}"]\ninput = {i}\noutput = {o}\n\n'
                                for m, (i, o) in PRICES.items()))
        monkeypatch.setenv("ROUTERX_CONFIG", str(toml))
        yield Providers(oa, an, ge)


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    order = [OPENAI, ANTHROPIC, GEMINI]
    seed(url, placements(order), catalogue(order))
    return url


@dataclass
class Served:
    base_url: str          # ends in /v1, as an OpenAI client wants it
    router: Router


@contextmanager
def serve(database_url: str, token: str | None = None) -> Iterator[Served]:
    """routerx's app under uvicorn on a free loopback port; stopped on exit, always."""
    router = Router(database_url, seed=7)
    with uvicorn_thread(create_app(router=router, token=token)) as port:
        yield Served(f"http://127.0.0.1:{port}/v1", router)


@pytest.fixture
def served(providers: Providers, store: str) -> Iterator[Served]:
    with serve(store) as s:
        yield s
