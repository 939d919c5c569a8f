"""`routerx serve` refuses to expose the router without a token."""

from __future__ import annotations

import pytest

from router.cli.serve import is_loopback
from tests.router.routing_fixtures import run_main


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_without_token_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: started.append(k))
    code, _, err = run_main(monkeypatch, capsys, "serve", "--host", "0.0.0.0")
    assert code == 2 and "set ROUTERX_API_TOKEN" in err and started == []


def test_token_allows_any_address_and_is_enforced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    started = []
    monkeypatch.setattr("uvicorn.run", lambda app, **k: started.append((app, k)))
    monkeypatch.setenv("ROUTERX_API_TOKEN", "tok-123456")
    code, _, err = run_main(monkeypatch, capsys, "serve", "--host", "0.0.0.0", "--port", "9999")
    assert code == 0, err
    ((app, kwargs),) = started
    assert kwargs["host"] == "0.0.0.0" and kwargs["port"] == 9999 and kwargs["workers"] == 1
    assert app.state.token == "tok-123456"
    assert "tok-123456" not in err
