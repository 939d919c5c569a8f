"""A raw-ASGI fast path for `GET /v1/route`, the one request an agent makes per task
(and the door to `POST /v1/chat/completions`'s own, `router.proxy.asgi`).

FastAPI's per-request machinery (dependency solving, parameter models, response
classes) costs several hundred microseconds on a small machine: twenty times the route
itself, and the difference between about 1,000 and several thousand routes per second on
one worker. This middleware answers only the happy path: a GET of `/v1/route` with a
valid category and no task id (a task's route reads the store, so it goes to the
endpoint's thread pool), the right bearer token when one is configured, and a route
that succeeds. Anything else (a missing or overlong category, a wrong token, a category with
no usable model) is handed to the FastAPI endpoint of the same path, so validation
messages, status codes and the OpenAPI schema come from one place.

The bearer token is checked by `router.api_guard.bearer_ok`, the function the rest of
the API uses, on raw header bytes: a non-ASCII token is a wrong token on both paths.

It wraps the FastAPI app from the outside, so a served route also skips FastAPI's
per-request telemetry check and middleware stack (successful routes are therefore not
traced by FastAPI's native OpenTelemetry; every other request is).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from router.api_guard import Guard, bearer_ok
from router.errors import RouterxError
from router.proxy.asgi import ChatEndpoint
from router.proxy.routes import CHAT_PATH, proxy_body_limits

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PATH = "/v1/route"
_HEADERS = [(b"content-type", b"application/json")]


class FastRoute:
    """The ASGI app `routerx serve` runs: valid route requests answered here, the rest
    (and lifespan events) passed to the FastAPI app it wraps."""

    def __init__(self, app: Any) -> None:
        self.app = app  # a FastAPI app whose state holds `router` and `token`
        # The chat path skips FastAPI too, behind the same door (token, body limit).
        self.chat = Guard(ChatEndpoint(app), path_limits=proxy_body_limits())

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CHAT_PATH and scope["method"] == "POST":
            scope["app"] = self.app  # where the Guard reads the token
            await self.chat(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        state = self.app.state
        router = getattr(state, "router", None)
        if router is None or not bearer_ok(scope.get("headers", ()), state.token):
            await self.app(scope, receive, send)
            return
        params = parse_qs(scope["query_string"].decode("latin-1"))
        categories = params.get("category")
        if not categories or not 1 <= len(categories[-1]) <= 100 or "task_id" in params:
            await self.app(scope, receive, send)
            return
        try:
            selection = router.route(categories[-1], exclude=params.get("exclude", ()))
        except RouterxError:
            await self.app(scope, receive, send)  # the endpoint turns it into the response
            return
        body = json.dumps(selection.to_dict()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
