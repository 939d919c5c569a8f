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

The client is aiohttp rather than httpx (which `router.providers` uses for its few
requests): relaying a stream is one read per chunk, and aiohttp's C parser spends about
a quarter of httpx's CPU on it (`scripts/bench_proxy.py`). It honours
HTTP(S)_PROXY (`router.proxy.env_proxy`).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import aiohttp

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


# What a broken or silent provider raises while its answer is read.
READ_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


@dataclass(frozen=True)
class Opened:
    response: aiohttp.ClientResponse
    redactor: Redactor

    def close(self) -> None:
        """Drop the connection (an answer not read to its end cannot be reused)."""
        self.response.close()

    def release(self) -> None:
        """Give a fully read connection back to the pool."""
        self.response.release()


def redactor_of(cfg: ProviderConfig) -> Redactor:
    return cfg.keys.redactor if cfg.keys else Redactor(())


async def open_response(client: aiohttp.ClientSession, cfg: ProviderConfig,
                        dialect: Dialect, upstream: Upstream, timeout: aiohttp.ClientTimeout,
                        proxy: str | None = None) -> Opened:
    """Send the request and return the response with its headers read (body unread)."""
    key = cfg.keys.acquire() if cfg.keys else None
    redactor = redactor_of(cfg)
    headers = {**upstream.headers(key), "content-type": "application/json",
               "accept-encoding": "identity"}
    body = json.dumps(upstream.body).encode()
    try:
        response = await client.post(upstream.url, data=body, headers=headers, timeout=timeout,
                                     allow_redirects=False, proxy=proxy)
    except TimeoutError:
        raise AttemptFailed(f"{cfg.name} did not answer in time", retryable=True,
                            kind="timeout") from None
    except aiohttp.ClientError as exc:
        raise AttemptFailed(f"cannot reach {cfg.name}: {type(exc).__name__}", retryable=True,
                            kind="connection") from None
    status = response.status
    if status < 400:
        return Opened(response, redactor)
    try:
        raw = await _read_some(response)
    finally:
        response.close()
    said = _said(dialect, raw, redactor)
    if status == 429 and cfg.keys is not None and key is not None:
        wait = parse_retry_after(response.headers.get("retry-after"))
        cfg.keys.rest(key, wait if wait is not None else 5.0)
    retryable = status >= 500 or status in _RETRY_STATUSES
    if status in (401, 403):
        said = f"the provider refused the key in {cfg.key_env or 'its key variable'} ({said})"
    raise AttemptFailed(f"{cfg.name} answered HTTP {status}: {said}", retryable=retryable,
                        kind="status", status=status)


async def _read_some(response: aiohttp.ClientResponse) -> bytes:
    try:
        return await response.content.read(_ERROR_BODY_LIMIT)
    except READ_ERRORS:
        return b""  # no body to quote: the status says enough


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
        raw = await opened.response.read()
    except TimeoutError:
        opened.close()
        raise AttemptFailed(f"{provider} did not finish its answer in time", retryable=True,
                            kind="timeout") from None
    except aiohttp.ClientError as exc:
        opened.close()
        raise AttemptFailed(f"{provider} broke off its answer: {type(exc).__name__}",
                            retryable=True, kind="connection") from None
    opened.release()
    try:
        return json.loads(raw)
    except ValueError:
        said = truncate(raw.decode("utf-8", "replace"), 200, opened.redactor)
        raise AttemptFailed(f"{provider} answered with a body that is not JSON: {said!r}",
                            retryable=True, kind="body") from None
