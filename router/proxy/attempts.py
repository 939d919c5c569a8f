"""The chain of attempts behind one chat request: fallback before the first byte.

The routed model is tried first, then its fallbacks in order, at most
`ROUTERX_PROXY_MAX_TRIES` of them. A failure before the agent has received a byte (no
connection, a timeout, 429, 5xx; for a stream, also a stream that breaks or reports an
error before its first event) moves on to the next model; models whose provider is not
configured are passed over without counting as a try. Once a byte has left, the answer
is the agent's, errors included: a stream that breaks later ends with an error event.

Every attempt that reached a provider becomes an outcome: the failed ones as failures,
the one that answered with success = the call completed, its latency, time to first
token, tokens and cost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import quote

from fastapi.responses import JSONResponse, Response, StreamingResponse

from router.outcomes import OutcomeRecord
from router.proxy.dialects import Call, Dialect, StreamTranslator, dialect
from router.proxy.recorder import CallRecord
from router.proxy.state import ProxyState
from router.proxy.upstream import READ_ERRORS, AttemptFailed, Opened, open_response, read_json
from router.wire.openai import Usage, error_body, error_event
from router.wire.sse import Event, SSEParser

log = logging.getLogger(__name__)


@dataclass
class Plan:
    """What was decided before any provider was asked."""

    category: str
    models: list[str]           # the routed model first, then its fallbacks
    is_exploration: bool
    reason: str
    task_id: str | None
    started: float = field(default_factory=time.perf_counter)


def _header(value: str) -> str:
    """A header value that survives latin-1 (ids may hold any printable character)."""
    return quote(value, safe="/:@.-_~+ ,;()=")


def _headers(plan: Plan, model: str, attempt: int) -> dict[str, str]:
    return {"x-routerx-model": _header(model), "x-routerx-category": _header(plan.category),
            "x-routerx-attempts": str(attempt),
            "x-routerx-exploration": "true" if plan.is_exploration and attempt == 1 else "false"}


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None
           ) -> JSONResponse:
    return JSONResponse(error_body(message, kind), status_code=status, headers=headers)


async def run(state: ProxyState, plan: Plan, call: Call) -> Response:
    table = state.router.table
    failures: list[str] = []
    kinds: list[str] = []
    attempt = 0
    for model in plan.models:
        if attempt >= state.proxy.max_tries:
            break
        provider = table.providers.get(model)
        cfg = state.providers.get(provider) if provider else None
        if cfg is None or not cfg.configured:
            why = cfg.skip_reason if cfg is not None else f"provider {provider!r} is unknown here"
            failures.append(f"{model}: not tried ({why})")
            continue
        attempt += 1
        began = time.perf_counter()
        speaker = dialect(cfg.wire)
        name = model.split("/", 1)[1]
        upstream = speaker.request(cfg, name, _with_limit(call, state, model))
        try:
            if call.stream:
                async with asyncio.timeout(state.proxy.first_byte_timeout):
                    opened = await open_response(state.client, cfg, speaker, upstream,
                                                 state.timeout(),
                                                 state.proxies.for_url(upstream.url))
                    started = await _first_event(opened, speaker, model, call)
            else:
                opened = await open_response(state.client, cfg, speaker, upstream,
                                             state.timeout(),
                                             state.proxies.for_url(upstream.url))
                raw = await read_json(opened, cfg.name)
                try:
                    answer = speaker.response(raw, model)
                except ValueError as exc:
                    raise AttemptFailed(f"{cfg.name} answered in a shape routerx cannot read: "
                                        f"{exc}", retryable=True, kind="body") from None
        except TimeoutError:
            _record(state, plan, model, attempt, began, success=False)
            failures.append(f"{model}: no first event within "
                            f"{state.proxy.first_byte_timeout:g} s")
            kinds.append("timeout")
            continue
        except AttemptFailed as exc:
            _record(state, plan, model, attempt, began, success=False)
            log.info("proxy: %s failed (%s)%s", model, exc.message,
                     "; next model" if exc.retryable else "")
            if not exc.retryable:
                status = exc.status if exc.status and 400 <= exc.status < 500 else 502
                return _error(status, exc.message, "invalid_request_error",
                              _headers(plan, model, attempt))
            failures.append(f"{model}: {exc.message}")
            kinds.append("rate_limit" if exc.status == 429 else exc.kind)
            continue
        if not call.stream:
            usage = Usage.from_openai(answer.get("usage"))
            _record(state, plan, model, attempt, plan.started, success=True, usage=usage,
                    ttft_ms=(time.perf_counter() - plan.started) * 1000)
            return JSONResponse(answer, headers=_headers(plan, model, attempt))
        return StreamingResponse(
            _relay(state, plan, model, attempt, opened, started),
            media_type="text/event-stream",
            headers={**_headers(plan, model, attempt), "cache-control": "no-cache",
                     "x-accel-buffering": "no"},
        )
    return _all_failed(plan, failures, kinds, attempt)


def _with_limit(call: Call, state: ProxyState, model: str) -> Call:
    limit = state.output_limits.get(model)
    if limit is None or limit == call.max_tokens:
        return call
    return Call(call.body, call.stream, call.include_usage, limit)


@dataclass
class Started:
    """A stream that has produced its first events for the agent."""

    translator: StreamTranslator
    parser: SSEParser
    first: list[bytes]
    events: AsyncIterator[bytes]
    rest: list[Event]  # events read with the first token, not yet translated


async def _first_event(opened: Opened, speaker: Dialect, model: str, call: Call) -> Started:
    """Read until the stream's first token (an opening chunk that only names the role
    does not count: Anthropic sends one before it may report that it is overloaded);
    fail, so the next model is tried, if it breaks, ends or reports an error first."""
    translator = speaker.stream(model, call)
    parser = SSEParser()
    events = opened.response.content.iter_any()
    first: list[bytes] = []
    rest: list[Event] = []
    try:
        while not translator.content_started:
            try:
                chunk = await anext(events)
            except StopAsyncIteration:
                for event in parser.close():
                    first.extend(translator.feed(event))
                first.extend(translator.close())
                if not translator.content_started:
                    raise AttemptFailed("the stream ended before its first token",
                                        retryable=True, kind="body") from None
                break
            batch = parser.feed(chunk)
            for i, event in enumerate(batch):
                first.extend(translator.feed(event))
                if translator.error is not None:
                    raise AttemptFailed(f"the provider reported an error: "
                                        f"{opened.redactor.text(translator.error)[:300]}",
                                        retryable=True, kind="status")
                if translator.content_started:  # the first token commits: the rest of
                    rest = batch[i + 1:]          # this read belongs to the agent's stream
                    break
    except READ_ERRORS as exc:
        opened.close()
        raise AttemptFailed(f"the stream broke before its first token: {type(exc).__name__}",
                            retryable=True, kind="connection") from None
    except BaseException:
        opened.close()
        raise
    return Started(translator, parser, first, events, rest)


async def _relay(state: ProxyState, plan: Plan, model: str, attempt: int, opened: Opened,
                 started: Started) -> AsyncIterator[bytes]:
    """The agent's stream: every translated event the moment it is complete (the events
    one upstream read completed go out in one write)."""
    translator, parser = started.translator, started.parser
    ttft_ms = (time.perf_counter() - plan.started) * 1000
    broke: str | None = None
    error: str | None = None
    finished = False
    try:
        out = list(started.first)
        for event in started.rest:
            out += translator.feed(event)
        yield b"".join(out)  # the first token: one write
        async for chunk in started.events if translator.error is None else _nothing():
            out = []
            for event in parser.feed(chunk):
                out += translator.feed(event)
            if out:  # one write per upstream read, however many events it completed
                yield b"".join(out)
            if translator.error is not None:
                break
        if translator.error is None:
            out = []
            for event in parser.close():
                out += translator.feed(event)
            out += translator.close()
            if out:
                yield b"".join(out)
        finished = True
    except READ_ERRORS as exc:
        broke = f"the provider's stream broke: {type(exc).__name__}"
    finally:
        if finished and translator.done:
            opened.release()  # read to its end: the connection goes back to the pool
        else:
            opened.close()
        if finished or broke is not None:  # not when the agent went away
            error = broke or translator.error or (
                None if translator.done else "the provider's stream ended early")
            _record(state, plan, model, attempt, plan.started, success=error is None,
                    usage=translator.usage, ttft_ms=ttft_ms)
    if error is not None:
        log.info("proxy: %s stream failed after its first event: %s", model, error)
        yield error_event(opened.redactor.text(error))


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # an async generator that yields nothing


def _record(state: ProxyState, plan: Plan, model: str, attempt: int, since: float, *,
            success: bool, usage: Usage | None = None, ttft_ms: float | None = None) -> None:
    usage = usage or Usage()
    outcome = OutcomeRecord(
        model=model, category=plan.category, success=success,
        latency_ms=(time.perf_counter() - since) * 1000,
        cost_usd=state.prices.cost_usd(model, usage.prompt, usage.completion),
        tokens_in=usage.prompt, tokens_out=usage.completion, task_id=plan.task_id,
        is_exploration=plan.is_exploration and attempt == 1,
    )
    state.recorder.add(CallRecord(outcome, ttft_ms, attempt))


def _all_failed(plan: Plan, failures: list[str], kinds: list[str], attempts: int) -> Response:
    detail = "; ".join(failures) or "no candidate model"
    if not attempts:
        return _error(503, f"no model of {plan.category!r} can be asked: {detail}",
                      "routerx_unavailable")
    if kinds and all(k == "rate_limit" for k in kinds):
        status, kind = 429, "rate_limit_exceeded"
    elif kinds and all(k == "timeout" for k in kinds):
        status, kind = 504, "upstream_timeout"
    else:
        status, kind = 502, "upstream_error"
    return _error(status, f"every model tried failed before answering ({attempts} tried): "
                  f"{detail}", kind, {"x-routerx-attempts": str(attempts)})
