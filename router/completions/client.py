"""Ask a model for one completion: `complete("openai/gpt-5.2", messages, ...)`.

The provider comes from the model id (split at the FIRST slash) and its configuration
from `load_providers`, never from guesses about the model's name. The request holds a
concurrency slot of its provider for its whole life, retries included: a provider that
answers 429 gets fewer requests in flight, not the same number retried, and the retry
budget counts only this request's own time, never the time spent queueing for a slot.

Some models accept only their default temperature (OpenAI's reasoning models answer
400 "Unsupported value: 'temperature'"). Such a request is sent once more without
one, and the Completion says so (`temperature=None`) instead of the model failing.

The reply arrives redacted (`send_json`): an answer that echoes the key is kept, stored
and printed with every fragment of the key removed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx

from router.completions.limiter import ProviderLimiter
from router.completions.records import (
    Completion,
    CompletionRequest,
    WireRequest,
    check_messages,
)
from router.completions.registry import get_wire_format
from router.errors import InputError, ProviderError, ProviderResponseError
from router.placements import split_model_id
from router.providers.catalog import ProviderConfig
from router.providers.http import JSONReply, RetryPolicy, send_json
from router.settings import Settings

_TEMPERATURE_REFUSED = re.compile(r"HTTP 400\b.*unsupported[^.]*\btemperature\b", re.I | re.S)


def completion_policy(settings: Settings) -> RetryPolicy:
    """Retries as for discovery; the time budget also covers one slow generation."""
    return RetryPolicy(
        attempts=settings.http_retries + 1,
        max_seconds=settings.http_retry_max_seconds + settings.completion_timeout,
    )


async def complete(
    model_id: str,
    messages: Sequence[dict[str, Any]],
    *,
    temperature: float,
    max_tokens: int,
    seed: int | None = None,
    client: httpx.AsyncClient,
    limiter: ProviderLimiter,
    settings: Settings,
) -> Completion:
    """One completion, or a ProviderError (subclass) once retries are spent.

    Raises InputError for a malformed model id or messages, UnknownNameError for a
    provider routerx does not know, and ProviderError for one that is not configured
    (the message says which variable to set).
    """
    try:
        provider, name = split_model_id(model_id)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if temperature < 0:
        raise InputError(f"temperature must be >= 0, got {temperature}")
    if max_tokens < 1:
        raise InputError(f"max_tokens must be >= 1, got {max_tokens}")
    cfg = limiter.provider(provider)
    if not cfg.configured:
        raise ProviderError(provider, f"cannot ask {model_id}: {cfg.skip_reason}")
    wire = get_wire_format(cfg.wire)
    out = wire.request(cfg, CompletionRequest(name, check_messages(messages), temperature,
                                              max_tokens, seed))
    applied: float | None = temperature
    refused = 0  # the attempt answered 400 for its temperature
    async with limiter.slot(provider):
        try:
            reply = await _send(client, cfg, out, settings)
        except ProviderError as exc:
            retry = out.without_temperature()
            if type(exc) is not ProviderError or retry is None or \
                    not _TEMPERATURE_REFUSED.search(str(exc)):
                raise
            reply, applied, refused = await _send(client, cfg, retry, settings), None, 1
    try:
        parsed = wire.parse(provider, reply.body)
    except ProviderResponseError as exc:
        message = str(exc).removeprefix(f"{provider}: ")
        raise ProviderResponseError(
            provider, cfg.keys.redactor.text(message) if cfg.keys else message
        ) from None
    return Completion(
        model_id=model_id, text=parsed.text, tokens_in=parsed.tokens_in,
        tokens_out=parsed.tokens_out, latency_ms=reply.latency_ms,
        finish_reason=parsed.finish_reason, attempts=reply.attempts + refused,
        temperature=applied,
    )


async def _send(client: httpx.AsyncClient, cfg: ProviderConfig, out: WireRequest,
                settings: Settings) -> JSONReply:
    return await send_json(
        client, cfg.name, out.url, method="POST", json_body=out.body, headers=out.headers,
        keys=cfg.keys, policy=completion_policy(settings), timeout=settings.completion_timeout,
    )
