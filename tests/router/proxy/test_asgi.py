"""The raw-ASGI chat path: a stream the agent leaves is closed, upstream included; a
finished stream ends the response; the FastAPI app is not involved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.responses import JSONResponse, StreamingResponse

import router.proxy.asgi as asgi
from router.api_fast_route import FastRoute


class _Relay:
    """A relay whose provider sends `n` chunks (None: forever), noting its closing."""

    def __init__(self, n: int | None) -> None:
        self.n = n
        self.closed = False
        self.sent = 0

    async def stream(self) -> AsyncIterator[bytes]:
        try:
            while self.n is None or self.sent < self.n:
                self.sent += 1
                await asyncio.sleep(0.001)
                yield b"data: {}\n\n"
        finally:
            self.closed = True


def _endpoint(monkeypatch: pytest.MonkeyPatch, response: Any) -> asgi.ChatEndpoint:
    async def state_of(_: Any) -> object:
        return object()

    async def answer_chat(*_: Any) -> Any:
        return response

    monkeypatch.setattr(asgi, "state_of", state_of)
    monkeypatch.setattr(asgi, "answer_chat", answer_chat)
    return asgi.ChatEndpoint(SimpleNamespace(state=SimpleNamespace()))


def _scope() -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/v1/chat/completions",
            "headers": [(b"content-type", b"application/json")], "query_string": b""}


def test_an_agent_that_leaves_closes_the_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    relay = _Relay(None)
    endpoint = _endpoint(monkeypatch, StreamingResponse(relay.stream()))
    sent: list[dict[str, Any]] = []
    left = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not sent:
            return {"type": "http.request", "body": b"{}", "more_body": False}
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 5:
            left.set()

    async def go() -> None:
        await asyncio.wait_for(endpoint(_scope(), receive, send), 30)

    asyncio.run(go())
    assert relay.closed
    assert relay.sent < 10  # stopped at the next chunk, not run on
    assert all(m.get("more_body", False) for m in sent[1:])  # no clean end was claimed


def test_a_finished_stream_ends_the_response(monkeypatch: pytest.MonkeyPatch) -> None:
    relay = _Relay(3)
    endpoint = _endpoint(monkeypatch, StreamingResponse(
        relay.stream(), media_type="text/event-stream", headers={"x-routerx-model": "m"}))
    sent: list[dict[str, Any]] = []
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not sent:
            return {"type": "http.request", "body": b"{}", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(endpoint(_scope(), receive, send))
    assert sent[0]["status"] == 200 and (b"x-routerx-model", b"m") in sent[0]["headers"]
    assert [m["body"] for m in sent[1:4]] == [b"data: {}\n\n"] * 3
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}
    assert relay.closed


def test_fast_route_answers_chat_without_the_fastapi_app(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    called: list[str] = []

    async def fastapi_app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["path"])

    fastapi_app.state = SimpleNamespace(token="secret")  # type: ignore[attr-defined]
    route = FastRoute(fastapi_app)
    route.chat.app = _endpoint(monkeypatch, JSONResponse({"ok": True}))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = _scope()
    asyncio.run(route(scope, receive, send))
    assert sent[0]["status"] == 401  # the Guard stands in front of the fast path too
    scope = _scope()
    scope["headers"].append((b"authorization", b"Bearer secret"))
    sent.clear()
    asyncio.run(route(scope, receive, send))
    assert sent[0]["status"] == 200 and sent[1]["body"] == b'{"ok":true}'
    assert called == []
