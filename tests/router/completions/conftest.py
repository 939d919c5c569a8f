from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.fakes.http_server import FakeHTTPServer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHTTPServer]:
    """A loopback provider server, with retries short enough for tests."""
    monkeypatch.setenv("ROUTERX_COMPLETION_TIMEOUT", "5")
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "4")
    monkeypatch.setenv("ROUTERX_HTTP_RETRY_MAX_SECONDS", "20")
    with FakeHTTPServer() as srv:
        yield srv


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as c:
        yield c
