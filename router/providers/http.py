"""One JSON request to a provider, with bounded retries, honest errors and no leaked key.

Retries use tenacity (exponential backoff with jitter, bounded in attempts and in total
time). A `Retry-After` header on 429/503 replaces the backoff for that wait. A 429 rests
the key that got it (for its Retry-After), and while another key is not resting the next
attempt goes out at once with that one: the limited key rests while the others work.

`send_json` also reports what a caller measuring a model needs: the wall time of the
attempt that succeeded (not of the backoff before it) and how many attempts it took.

Nothing a provider says leaves here with a key in it: every string of a decoded reply
(a 200 that echoes the key included) and every error message is redacted first, and
only then cut to length (`router.redaction`).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from router.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
)
from router.providers.keys import KeyRing
from router.redaction import Redactor, truncate


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5            # total tries, first included
    max_seconds: float = 60.0    # give up once this much time has passed
    backoff_max: float = 8.0     # cap of one exponential wait
    retry_after_cap: float = 30.0  # never sleep longer than this on a Retry-After


class _Retryable(Exception):
    """A failure worth another try; `final` is the error raised once tries run out."""

    def __init__(
        self, message: str, final: type[ProviderError], retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.final = final
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _wait(policy: RetryPolicy, keys: KeyRing | None = None) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(multiplier=0.25, max=policy.backoff_max)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if (isinstance(exc, _Retryable) and exc.final is ProviderRateLimited
                and keys is not None and not keys.all_resting()):
            return 0.0  # the limited key rests; another key is free to try right away
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, policy.retry_after_cap)
        return backoff(state)

    return wait


@dataclass(frozen=True)
class JSONReply:
    """A decoded answer and how it was obtained."""

    body: Any
    status: int
    headers: httpx.Headers
    latency_ms: float   # wall time of the successful attempt: request sent to body read
    attempts: int       # tries it took, the successful one included


def _said(response: httpx.Response, redactor: Redactor) -> str:
    """The start of a reply body for an error message: redacted whole, then cut."""
    return truncate(response.text.strip().replace("\n", " "), 200, redactor)


async def request_json(
    client: httpx.AsyncClient, provider: str, url: str, **options: Any
) -> Any:
    """Send one request and return the decoded JSON body, or raise a ProviderError.

    Takes the keyword options of `send_json`, for callers that need only the body.
    """
    return (await send_json(client, provider, url, **options)).body


async def send_json(
    client: httpx.AsyncClient,
    provider: str,
    url: str,
    *,
    method: str = "GET",
    params: Mapping[str, Any] | None = None,
    json_body: Any = None,
    headers: Callable[[str | None], dict[str, str]] = lambda key: {},
    keys: KeyRing | None = None,
    policy: RetryPolicy = RetryPolicy(),
    timeout: float | None = None,
) -> JSONReply:
    """Send one request and return its decoded JSON body with its measurements.

    `headers(key)` builds the auth headers for the key chosen for this attempt, so a
    retry after a 429 goes out with another key when there is one.
    """
    redactor = keys.redactor if keys else Redactor(())
    key_env = keys.env_var if keys else "the key"
    path = httpx.URL(url).path

    async def attempt() -> JSONReply:
        key = keys.acquire() if keys else None
        try:
            started = time.perf_counter()
            response = await client.request(
                method, url, params=params, json=json_body, headers=headers(key),
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
            latency_ms = (time.perf_counter() - started) * 1000
        except httpx.TimeoutException:
            raise _Retryable(f"timed out waiting for {method} {path}", ProviderTimeout) from None
        except httpx.TransportError as exc:
            raise _Retryable(
                f"cannot connect for {method} {path}: {type(exc).__name__}", ProviderError
            ) from None
        except httpx.RequestError as exc:  # undecodable content, a redirect loop: final
            raise ProviderResponseError(
                provider, f"{method} {path} could not be read: {type(exc).__name__}"
            ) from None
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if keys and key is not None:
                keys.rest(key, retry_after if retry_after is not None else 5.0)
            raise _Retryable("rate limited (HTTP 429)", ProviderRateLimited, retry_after)
        if status >= 500:
            raise _Retryable(
                f"server error HTTP {status} on {method} {path}: {_said(response, redactor)}",
                ProviderError,
                parse_retry_after(response.headers.get("retry-after")),
            )
        if status in (401, 403):
            raise ProviderAuthError(
                provider,
                f"HTTP {status}: the provider rejected the key in {key_env}; "
                f"check that it is valid and has access ({_said(response, redactor)})",
            )
        if status >= 400:
            raise ProviderError(
                provider, f"HTTP {status} on {method} {path}: {_said(response, redactor)}"
            )
        try:
            body = redactor.json(response.json())
        except (ValueError, RecursionError):
            raise ProviderResponseError(
                provider,
                f"{method} {path} answered with a body that is not JSON: "
                f"{_said(response, redactor)!r}",
            ) from None
        return JSONReply(body, status, response.headers, latency_ms, tries)

    tries = 0
    try:
        async for state in AsyncRetrying(
            stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_seconds),
            wait=_wait(policy, keys),
            retry=retry_if_exception_type(_Retryable),
            reraise=True,
        ):
            tries = state.retry_state.attempt_number
            with state:
                return await attempt()
    except _Retryable as exc:
        message = redactor.text(f"{exc} (gave up after {tries} attempt(s))")
        raise exc.final(provider, message) from None
    except ProviderError as exc:
        message = redactor.text(str(exc).removeprefix(f"{provider}: "))
        raise type(exc)(provider, message) from None
    raise AssertionError("unreachable: tenacity either returns or raises")
