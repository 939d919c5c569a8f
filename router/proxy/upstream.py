"""One attempt at one provider: send, tell a failure worth a fallback from the agent's
own mistake, and read the answer.

Worth a fallback (`retryable`): no connection, a timeout, 429 (the key that got it rests
for its Retry-After, as in `router.providers.http`), any 5xx, and 401/403/404/408 (a key
the provider refuses or a model it no longer serves is routerx's problem, not the
agent's). Any other 4xx is the agent's request: it goes back to the agent, with the
provider's own message. Every message is redacted before it goes anywhere.

Only the agent's body goes upstream, rebuilt by the dialect, with routerx's own key for
the provider: no header of the agent's (its Authorization is routerx's token) is ever
forwarded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from router.providers.catalog import ProviderConfig
from router.providers.http import parse_retry_after
from router.proxy.dialects import Dialect, Upstream
from router.redaction import Redactor, truncate

_RETRY_STATUSES = frozenset({401, 403, 404, 408, 429})
_ERROR_BODY_LIMIT = 64 * 1024


class AttemptFailed(Exception):
    """An attempt that produced nothing for the agent. `status` is the provider's HTTP
    status (None: no answer); `kind` is timeout, connection, status or body."""

    def __init__(self, message: str, *, retryable: bool, kind: str,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.kind = kind
        self.status = status


@dataclass(frozen=True)
class Opened:
    response: httpx.Response
    redactor: Redactor


def redactor_of(cfg: ProviderConfig) -> Redactor:
    return cfg.keys.redactor if cfg.keys else Redactor(())


async def open_response(client: httpx.AsyncClient, cfg: ProviderConfig, dialect: Dialect,
                        upstream: Upstream, timeout: httpx.Timeout) -> Opened:
    """Send the request and return the response with its headers read (body unread)."""
    key = cfg.keys.acquire() if cfg.keys else None
    redactor = redactor_of(cfg)
    headers = {**upstream.headers(key), "accept-encoding": "identity"}
    request = client.build_request("POST", upstream.url, json=upstream.body, headers=headers,
                                   timeout=timeout)
    try:
        response = await client.send(request, stream=True)
    except httpx.TimeoutException:
        raise AttemptFailed(f"{cfg.name} did not answer in time", retryable=True,
                            kind="timeout") from None
    except httpx.TransportError as exc:
        raise AttemptFailed(f"cannot reach {cfg.name}: {type(exc).__name__}", retryable=True,
                            kind="connection") from None
    status = response.status_code
    if status < 400:
        return Opened(response, redactor)
    try:
        raw = await _read_some(response)
    finally:
        await response.aclose()
    said = _said(dialect, raw, redactor)
    if status == 429 and cfg.keys is not None and key is not None:
        wait = parse_retry_after(response.headers.get("retry-after"))
        cfg.keys.rest(key, wait if wait is not None else 5.0)
    retryable = status >= 500 or status in _RETRY_STATUSES
    if status in (401, 403):
        said = f"the provider refused the key in {cfg.key_env or 'its key variable'} ({said})"
    raise AttemptFailed(f"{cfg.name} answered HTTP {status}: {said}", retryable=retryable,
                        kind="status", status=status)


async def _read_some(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_raw():
            chunks.append(chunk)
            size += len(chunk)
            if size >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass  # an error body cut short still says something
    return b"".join(chunks)[:_ERROR_BODY_LIMIT]


def _said(dialect: Dialect, raw: bytes, redactor: Redactor) -> str:
    text = raw.decode("utf-8", "replace")
    try:
        message = dialect.error_message(json.loads(text))
    except ValueError:
        message = None
    return truncate((message or text).strip().replace("\n", " ") or "(no body)", 300, redactor)


async def read_json(opened: Opened, provider: str) -> Any:
    """The whole body of a non-streamed answer, decoded."""
    try:
        raw = await opened.response.aread()
    except httpx.TimeoutException:
        raise AttemptFailed(f"{provider} did not finish its answer in time", retryable=True,
                            kind="timeout") from None
    except httpx.TransportError as exc:
        raise AttemptFailed(f"{provider} broke off its answer: {type(exc).__name__}",
                            retryable=True, kind="connection") from None
    finally:
        await opened.response.aclose()
    try:
        return json.loads(raw)
    except ValueError:
        said = truncate(raw.decode("utf-8", "replace"), 200, opened.redactor)
        raise AttemptFailed(f"{provider} answered with a body that is not JSON: {said!r}",
                            retryable=True, kind="body") from None
