"""The door of the HTTP API: the bearer token and the body size, settled before a body is read.

Why a raw ASGI middleware and not FastAPI dependencies: FastAPI reads and parses the
whole body before it solves any dependency, so a token check written as a dependency
runs after a stranger's 100 MB upload has been read into memory, and a size check there
is too late by definition. Here:

- a request to `/v1/...` without the right `Authorization: Bearer <token>` is answered
  401 before a byte of its body is read (with `Expect: 100-continue` the client is not
  even asked to send it);
- a declared `Content-Length` over the limit is answered 413 the same way;
- a body without a length (chunked) is counted as it streams and answered 413 as soon
  as it passes the limit, without reading the rest.

A body within the limit is read here once and handed on to the app unchanged.

The token is compared as raw header bytes, on this path and on the route fast path
alike (`bearer_ok`): a token holding non-ASCII bytes is simply a wrong token (401),
never a decoding error.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
UNAUTHORISED = "missing or wrong bearer token (Authorization: Bearer $ROUTERX_API_TOKEN)"


def bearer_ok(headers: Iterable[tuple[bytes, bytes]], token: str | None) -> bool:
    """True without a token configured, else when the first Authorization header is
    `Bearer <token>` (scheme case-insensitive; compared in constant time, as bytes)."""
    if token is None:
        return True
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, supplied = value.strip().partition(b" ")
            return scheme.lower() == b"bearer" and hmac.compare_digest(
                supplied.strip(), token.encode())
    return False


def needs_token(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


async def send_json(send: Send, status: int, payload: dict[str, Any],
                    headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """Answer with a small JSON body (ASCII only, so no value can break the encoding)."""
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *headers]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: authorisation, then the body limit, then the wrapped app.

    The token is read from the app's state (`state.token`) on every request, the one
    place the route fast path reads it too.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 path_limits: Mapping[str, tuple[int, str]] | None = None) -> None:
        """`path_limits`: path -> (limit, the setting that sets it), for endpoints whose
        bodies are larger by nature (a chat request carries a whole conversation)."""
        if max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be >= 1, got {max_body_bytes}")
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", ())
        if needs_token(scope["path"]) and not bearer_ok(headers, _token(scope)):
            # The body is left unread; the connection cannot be reused after that.
            await send_json(send, 401, {"detail": UNAUTHORISED},
                            [(b"www-authenticate", b"Bearer"), (b"connection", b"close")])
            return
        limit, setting = self.path_limits.get(
            scope["path"], (self.max_body_bytes, "ROUTERX_API_MAX_BODY_BYTES"))
        declared = _content_length(headers)
        if declared == -1:
            await send_json(send, 400, {"detail": "Content-Length is not a whole number"},
                            [(b"connection", b"close")])
            return
        if declared is not None and declared > limit:
            await _too_large(send, limit, setting)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left; nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit, setting)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only a disconnect is left to hear

        await self.app(scope, replay, send)



async def _too_large(send: Send, limit: int, setting: str) -> None:
    await send_json(send, 413, {"detail": (
        f"request body over {limit} bytes (the limit is {setting}); send less, e.g. "
        "smaller batches of outcomes")}, [(b"connection", b"close")])


def _token(scope: Scope) -> str | None:
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "token", None)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The declared length; None when there is none; -1 when it is not a number."""
    for name, value in headers:
        if name.lower() == b"content-length":
            text = value.strip()
            if not text.isdigit():
                return -1
            return int(text) if len(text) <= 18 else 10**18  # absurd either way
    return None
