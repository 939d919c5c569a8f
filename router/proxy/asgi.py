"""`POST /v1/chat/completions` as a raw ASGI app: the routing endpoint without FastAPI.

Why: the profile of `scripts/bench_proxy.py` put FastAPI's and Starlette's per-request
machinery (routing, dependency solving, the exception middlewares, and the task group
StreamingResponse starts to watch for a disconnect on uvicorn's ASGI 2.3) at about a
third of routerx's CPU per streamed call: more than the relaying itself. Here the
request goes from `router.api_fast_route.FastRoute` through the same `Guard` (token
before the body, body limit) straight to `answer_chat`, the function the FastAPI
endpoint calls too, so every answer, status and header is the same on both paths.

A stream is written with one `send` per upstream read. The agent leaving is heard by
one pending `receive()` checked between sends (no task group): the relay stops at the
provider's next chunk, closes the upstream connection, and records no outcome, as on the
FastAPI path. Like a route served by FastRoute, a chat call is not traced by FastAPI's
native OpenTelemetry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import StreamingResponse

from router.proxy.routes import answer_chat, state_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ChatEndpoint:
    """The ASGI app of the chat path (wrapped in the API's Guard by FastRoute)."""

    def __init__(self, app: Any) -> None:
        self.app = app  # the FastAPI app whose state holds `router`, `proxy`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        state = await state_of(self.app.state)
        response = await answer_chat(state, Headers(scope=scope), b"".join(chunks))
        if not isinstance(response, StreamingResponse):
            await response(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        body = response.body_iterator
        gone = asyncio.ensure_future(receive())  # resolves when the agent disconnects
        try:
            async for piece in body:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                if gone.done():
                    return  # the agent left: `finally` closes the relay and its upstream
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            gone.cancel()
            await body.aclose()  # type: ignore[attr-defined]
