from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.http_server import FakeHTTPServer


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHTTPServer]:
    """A loopback provider server, with retries short enough for tests."""
    monkeypatch.setenv("ROUTERX_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "2")
    monkeypatch.setenv("ROUTERX_HTTP_RETRY_MAX_SECONDS", "10")
    with FakeHTTPServer() as srv:
        yield srv
