"""The routing endpoint behind serve's rules: the token, the body limit, bad requests."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.chat_wire import openai_answer
from tests.fakes.http_server import Reply
from tests.router.proxy.conftest import Providers, Served, serve
from tests.router.proxy.test_openai_passthrough import ASK

TOKEN = "routerx-token-0123456789abcdef"


def test_with_a_token_every_call_needs_it_and_it_is_never_forwarded(
        providers: Providers, store: str) -> None:
    providers.openai.route("POST", "/v1/chat/completions", Reply(200, openai_answer("ok")))
    with serve(store, token=TOKEN) as served:
        url = f"{served.base_url}/chat/completions"
        body = {**ASK, "model": "routerx/auto"}
        assert httpx.get(f"{served.base_url}/models").status_code == 401
        denied = httpx.post(url, json=body, headers={"authorization": "Bearer wrong"})
        assert denied.status_code == 401
        ok = httpx.post(url, json=body, headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
    assert len(providers.openai.requests) == 1  # the refused ones never reached it
    sent = providers.openai.requests[0]
    assert TOKEN not in sent.headers.get("authorization", "")
    assert TOKEN not in str(sent.headers) and TOKEN not in sent.body.decode()


def test_a_body_over_the_limit_is_refused(
        providers: Providers, store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_PROXY_MAX_BODY_BYTES", "2048")
    with serve(store) as served:
        got = httpx.post(f"{served.base_url}/chat/completions",
                         json={"model": "routerx/auto",
                               "messages": [{"role": "user", "content": "x" * 5000}]})
    assert got.status_code == 413 and "ROUTERX_PROXY_MAX_BODY_BYTES" in got.text
    assert providers.openai.requests == []


@pytest.mark.parametrize(("body", "needle"), [
    (b"{not json", "not valid JSON"),
    (b'{"model": "routerx/auto", "messages": [{"role": "user", "content": "x"}], '
     b'"temperature": NaN}', "temperature: NaN"),
    (b"[1, 2]", "JSON object"),
    (b'{"model": "routerx/auto"}', "`messages`"),
    (b'{"model": "routerx/auto", "messages": [], "stream": true}', "`messages`"),
    (b'{"model": "routerx/poems", "messages": [{"role": "user", "content": "x"}]}',
     "names no category"),
    (b'{"model": "ghost/model-9", "messages": [{"role": "user", "content": "x"}]}',
     "not a placed model"),
    (b'{"messages": [{"role": "user", "content": "x"}]}', "`model` is required"),
])
def test_bad_requests_are_one_clear_error(served: Served, providers: Providers, body: bytes,
                                          needle: str) -> None:
    got = httpx.post(f"{served.base_url}/chat/completions", content=body,
                     headers={"content-type": "application/json"})
    assert got.status_code == 400, got.text
    assert needle in got.json()["error"]["message"]
    assert providers.openai.requests == []
