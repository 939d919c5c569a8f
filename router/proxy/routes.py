"""`GET /v1/models` and `POST /v1/chat/completions`: the OpenAI API in front of routerx.

Routing is the same strategy chain `GET /v1/route` answers with (pins, task stickiness,
exploration, the fallback table). The task is named by the `x-routerx-task-id` header,
else by the request's `user` field; without either, every request routes as a new task.
Errors come back in OpenAI's envelope (`{"error": {"message", "type", ...}}`), which the
SDKs turn into their own exception types.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from router import strict_json
from router.errors import InputError, RoutingError, StoreError
from router.proxy.attempts import Plan, run
from router.proxy.dialects import Call
from router.proxy.names import model_list, resolve
from router.proxy.settings import load_proxy_settings
from router.proxy.state import ProxyState
from router.router import Router
from router.wire.openai import error_body

log = logging.getLogger(__name__)

CHAT_PATH = "/v1/chat/completions"
TASK_HEADER = "x-routerx-task-id"
CATEGORY_HEADER = "x-routerx-category"
MAX_TASK_ID = 200


def _router(request: Request) -> Router:
    return router_of(request.app.state)


def router_of(app_state: Any) -> Router:
    if getattr(app_state, "router", None) is None:
        app_state.router = Router(app_state.database_url)
    return app_state.router


async def _state(request: Request) -> ProxyState:
    return await state_of(request.app.state)


async def state_of(app_state: Any) -> ProxyState:
    """The process's ProxyState (built by the lifespan; on demand if none ran)."""
    state = getattr(app_state, "proxy", None)
    if state is None:
        state = app_state.proxy = ProxyState.build(router_of(app_state))
        state.recorder.start()
        await state.refresh()
    state.refresh_if_stale()
    return state


@asynccontextmanager
async def _lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
    state = None
    if getattr(app.state, "router", None) is not None:
        state = app.state.proxy = ProxyState.build(app.state.router)
        state.recorder.start()
        await state.refresh()
    try:
        yield
    finally:
        state = getattr(app.state, "proxy", None) or state
        if state is not None:
            await state.close()
            app.state.proxy = None


proxy_router = APIRouter(lifespan=_lifespan, tags=["OpenAI-compatible"])


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse(error_body(message, kind), status_code=status)


def proxy_body_limits() -> dict[str, tuple[int, str]]:
    """The body limit of a chat request, for the API's guard (which also checks the
    token before a body is read)."""
    return {CHAT_PATH: (load_proxy_settings().max_body_bytes, "ROUTERX_PROXY_MAX_BODY_BYTES")}


@proxy_router.get("/v1/models")
async def models(request: Request) -> Response:
    """routerx/auto, routerx/<category> per category, and every placed model by id."""
    router = _router(request)
    router.refresh(force=False)
    return JSONResponse(model_list(router.table))


@proxy_router.get("/v1/proxy/recent")
async def recent(request: Request) -> Response:
    """The last proxied calls (at most 200) with what the outcome table has no column
    for: time to first token and which attempt answered."""
    state = await _state(request)
    calls = [c.to_dict() for c in state.recorder.recent]
    return JSONResponse({"calls": calls, "written": state.recorder.written,
                         "lost": state.recorder.lost})


def task_id_of(header: str | None, body: dict[str, Any]) -> str | None:
    """The task a request belongs to: the header, else `user`; long ids are hashed."""
    raw = header or body.get("user")
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = raw.strip()
    if len(raw) > MAX_TASK_ID or not raw.isprintable():
        return "sha256:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()
    return raw


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = strict_json.loads(raw)
    except strict_json.JSONInputError as exc:
        where = ".".join(map(str, exc.loc))
        raise InputError(f"{where + ': ' if where else ''}{exc.message}") from None
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object (a chat completions request)")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or \
            not all(isinstance(m, dict) for m in messages):
        raise InputError("`messages` must be a non-empty list of message objects")
    if "stream" in body and not isinstance(body["stream"], bool):
        raise InputError("`stream` must be true or false")
    return body


@proxy_router.post(CHAT_PATH)
async def chat_completions(request: Request) -> Response:
    """Route, forward in the provider's wire format, fall back before the first byte,
    answer in OpenAI's format (streamed when `stream` is true), record the outcome.

    The answering model is in the answer's `model` field and the `x-routerx-model`
    header; `x-routerx-attempts` counts the models tried. `routerx serve` answers this
    path from `router.proxy.asgi` without FastAPI; this endpoint is the same answer for
    an app mounted without that fast path, and the OpenAPI schema's entry.
    """
    return await answer_chat(await _state(request), request.headers, await request.body())


async def answer_chat(state: ProxyState, headers: Mapping[str, str], raw: bytes) -> Response:
    """The answer to one chat request: its body `raw`, its `headers` (lower-case names)."""
    try:
        body = _parse(raw)
        router = state.router
        target = resolve(body.get("model"), router.table, router.config.default_category,
                         headers.get(CATEGORY_HEADER))
        task_id = task_id_of(headers.get(TASK_HEADER), body)
        if target.routed:
            assert target.category is not None
            if task_id is None:
                selection = router.route(target.category)
            else:
                selection = await run_in_threadpool(router.route, target.category,
                                                    task_id=task_id)
            plan = Plan(selection.category, [selection.model, *selection.fallbacks],
                        selection.is_exploration, selection.reason, task_id)
        else:
            assert target.model is not None
            category = next(c for c in sorted(router.table.categories)
                            if target.model in router.table.categories[c].models)
            plan = Plan(category, [target.model], False, "asked for by id", task_id)
    except InputError as exc:
        return _error(400, str(exc))
    except RoutingError as exc:
        return _error(503, str(exc), "routerx_unavailable")
    except StoreError as exc:
        return _error(503, str(exc), "routerx_unavailable")
    stream = bool(body.get("stream"))
    options = body.get("stream_options")
    asked_usage = isinstance(options, dict) and options.get("include_usage") is True
    call = Call(body, stream, asked_usage, state.proxy.default_max_tokens)
    try:
        return await run(state, plan, call)
    except InputError as exc:  # the request could not be put in the provider's format
        return _error(400, str(exc))
