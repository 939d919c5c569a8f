"""The environment's proxies: decided once per upstream, as curl and httpx decide them."""

from __future__ import annotations

import asyncio

from router.proxy.env_proxy import EnvProxies


def test_scheme_proxy_applies_and_no_proxy_bypasses() -> None:
    proxies = EnvProxies({"https": "http://proxy:3128", "no": "localhost,.internal"})
    assert proxies.for_url("https://api.openai.com/v1/chat/completions") == "http://proxy:3128"
    assert proxies.for_url("http://api.openai.com/v1") is None  # no http proxy set
    assert proxies.for_url("https://llm.internal:8443/v1") is None
    assert proxies.for_url("https://localhost:8000/v1") is None


def test_all_proxy_is_the_fallback_and_star_bypasses_everything() -> None:
    assert EnvProxies({"all": "socks5://p:1080"}).for_url("http://h/x") == "socks5://p:1080"
    assert EnvProxies({"http": "http://p:1", "no": "*"}).for_url("http://h/x") is None


def test_no_proxy_variables_means_direct() -> None:
    assert EnvProxies({}).for_url("https://api.anthropic.com/v1/messages") is None


def test_environment_is_read_at_construction(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HTTPS_PROXY", "http://corp:8080")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    proxies = EnvProxies()
    assert proxies.for_url("https://api.openai.com/v1") == "http://corp:8080"
    assert proxies.for_url("https://127.0.0.1:9/v1") is None


def test_the_proxy_client_does_not_reread_the_environment_per_request(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """aiohttp's trust_env re-reads ~/.netrc and the proxy variables on every request in
    a worker thread: a tenth of the CPU of a streamed call in the profile."""
    from router.proxy.state import ProxyState
    from router.router import Router

    async def build() -> bool:
        state = ProxyState.build(Router(f"sqlite:///{tmp_path / 'x.db'}"))
        try:
            return state.client.trust_env
        finally:
            await state.client.close()

    assert asyncio.run(build()) is False
