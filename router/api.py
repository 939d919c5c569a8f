"""The router's HTTP API (FastAPI), for agents written in other languages.

One `Router` per process serves every request. `GET /v1/route` is served on the event
loop, without a thread hop: a route is microseconds of in-memory work. Its successful
requests are answered by a raw-ASGI fast path (`router.api_fast_route`); the endpoint
below defines the schema and answers everything else. Everything that writes to the
store (outcomes, exploration, discovery) runs in the thread pool.

Security: `routerx serve` binds 127.0.0.1 unless told otherwise and refuses any other
address without `ROUTERX_API_TOKEN`; when a token is configured every `/v1` endpoint
wants `Authorization: Bearer <token>` (compared in constant time). `/healthz` stays
open for load balancers and says nothing secret. The token and the body size
(`ROUTERX_API_MAX_BODY_BYTES`, 1 MiB) are checked before a body is read
(`router.api_guard`); bodies are decoded by `router.strict_json`, which refuses NaN,
Infinity, integers beyond 64 bits and lone surrogates with the field named, so bad
input is a 422, never a 500.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import BackgroundTasks, Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from router import strict_json
from router.api_fast_route import FastRoute
from router.api_guard import Guard
from router.durations import MAX_DURATION, parse_duration
from router.errors import (
    ConfigError,
    InputError,
    RouterxError,
    RoutingError,
    StoreError,
    UnknownNameError,
)
from router.ids import check_category, check_model_id
from router.outcome_schema import OutcomeIn
from router.proxy import proxy_body_limits, proxy_router
from router.router import Router

log = logging.getLogger(__name__)

MAX_BATCH = 10_000
MAX_ERRORS_SHOWN = 100  # a batch of bad items must not answer with megabytes of errors


class _NotFound(Exception):
    """A path names something that does not exist (answered 404)."""


class _BadJSON(HTTPException):
    """A body `strict_json` refused. An HTTPException because FastAPI turns any other
    exception raised while it reads a body into a bare 400."""

    def __init__(self, exc: strict_json.JSONInputError) -> None:
        super().__init__(422, exc.message)
        self.loc = ("body", *exc.loc)


class _StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_json.loads(await self.body())
            except strict_json.JSONInputError as exc:
                raise _BadJSON(exc) from None
        return self._json


class _StrictJSONRoute(APIRoute):
    """Every endpoint decodes its JSON body with `strict_json`."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(_StrictJSONRequest(request.scope, request.receive))

        return strict


def _duration(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_duration(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
    return value


PinKindIn = Literal["pin", "exclude"]


def _pin_scope(kind: str, category: str | None, task_id: str | None,
               all_categories: bool) -> None:
    """The combinations a pin or an exclusion allows; InputError names the wrong one."""
    if kind == "exclude":
        if task_id is not None:
            raise InputError("an exclusion applies to a whole category (or all_categories), "
                             "not one task: leave out task_id")
        if all_categories == (category is not None):
            raise InputError("an exclusion names a category or sets all_categories: true "
                             "(exactly one of them)")
    elif all_categories or category is None:
        raise InputError("a pin of kind 'pin' names one category (all_categories goes with "
                         "kind 'exclude')")


class PinIn(BaseModel):
    """kind `pin` serves `model` in `category` (or one task of it); kind `exclude` never
    serves `model` in `category`, or in every category with `all_categories`."""

    model_config = ConfigDict(extra="forbid")

    kind: PinKindIn = "pin"
    category: str | None = Field(default=None, min_length=1, max_length=100)
    all_categories: StrictBool = False
    model: str = Field(min_length=1, max_length=300, description="provider/model")
    task_id: str | None = Field(default=None, max_length=200, description="pin one task only")
    duration: Annotated[str | None, AfterValidator(_duration)] = Field(
        default=None, max_length=50, description="e.g. 30m, 2h, 1d (at most 3650d)")
    note: str | None = Field(default=None, max_length=500)

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        try:
            return None if value is None else check_category(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _scope(self) -> PinIn:
        try:
            _pin_scope(self.kind, self.category, self.task_id, self.all_categories)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return self

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        try:
            return check_model_id(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None


class ExplorationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: StrictBool
    mode: str | None = Field(default=None, description="balanced, aggressive or conservative")
    budget: float | None = Field(default=None, ge=0, le=100, allow_inf_nan=False,
                                 description="percent of routes")
    prior_strength: float | None = Field(default=None, ge=0, le=10_000, allow_inf_nan=False)


class SessionStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    providers: list[str] | None = Field(default=None, description="default: all configured")
    if_stale_seconds: float | None = Field(
        default=None, gt=0, le=MAX_DURATION.total_seconds(), allow_inf_nan=False,
        description="poll only providers last polled longer ago than this",
    )


_OUTCOME_LIST = TypeAdapter(list[OutcomeIn])


def _outcome_batch(body: Any) -> list[OutcomeIn]:
    """One outcome object or a list of them, validated with the size checked first: a
    batch over the limit is refused before any of its items is looked at. Errors are
    located like FastAPI's own (`body.3.latency_ms`; `body.latency_ms` for one object)."""
    single = not isinstance(body, list)
    batch = [body] if single else body
    if not batch:
        raise _invalid_body([], "empty batch: send one outcome object or a non-empty list")
    if len(batch) > MAX_BATCH:
        raise _invalid_body([], f"batch of {len(batch)} outcomes; send at most {MAX_BATCH}")
    try:
        return _OUTCOME_LIST.validate_python(batch)
    except ValidationError as exc:
        raise RequestValidationError([
            {"loc": ("body", *(e["loc"][1:] if single else e["loc"])), "msg": e["msg"],
             "type": e["type"]} for e in exc.errors()]) from None


def _invalid_body(loc: list[Any], message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", *loc), "msg": message,
                                    "type": "value_error"}])


def _outcomes_schema() -> dict[str, Any]:
    """The request body of POST /v1/outcomes for the OpenAPI document (the endpoint
    reads the body itself, to check the batch size before validating items)."""
    one = OutcomeIn.model_json_schema()
    batch = {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_BATCH}
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"anyOf": [one, batch]}}}}}


def _json(payload: Any, status_code: int = 200) -> Response:
    return Response(json.dumps(payload), status_code=status_code, media_type="application/json")


def _error(status_code: int, message: str, **extra: Any) -> Response:
    """An error answer; ASCII-escaped, so no character of an echoed value can break it."""
    return _json({"detail": message, **extra}, status_code)


def _describe(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


class _Discovery:
    """At most one background discovery per server process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last: dict[str, Any] | None = None

    def run(self, database_url: str | None, providers: list[str] | None, stale: float) -> None:
        if not self.lock.acquire(blocking=False):
            return
        try:
            from router.discovery import run_discovery

            report = run_discovery(
                providers=providers, if_stale=timedelta(seconds=stale), database_url=database_url
            )
            self.last = {"ok": True, "new": list(report.new), "polled_at": str(report.polled_at)}
        except RouterxError as exc:
            log.warning("session-start discovery failed: %s", exc)
            self.last = {"ok": False, "error": str(exc)}
        finally:
            self.lock.release()


async def get_router(request: Request) -> Router:
    """The app's one Router (built by the lifespan; on demand if none ran).

    `async` although it does no I/O: FastAPI runs plain `def` dependencies in its
    thread pool, and that hop costs more than the whole route.
    """
    state = request.app.state
    if getattr(state, "router", None) is None:
        state.router = Router(state.database_url)
    return state.router


def _check_token(token: str | None) -> str | None:
    """A bearer token travels in a header: visible ASCII without spaces (RFC 6750)."""
    if token is not None and not (token and token.isascii() and token.isprintable()
                                  and " " not in token):
        raise ConfigError("ROUTERX_API_TOKEN must be visible ASCII characters without spaces "
                          "(e.g. the output of `openssl rand -hex 32`)")
    return token


RouterDep = Annotated[Router, Depends(get_router)]


def create_app(
    *,
    database_url: str | None = None,
    token: str | None = None,
    router: Router | None = None,
    max_body_bytes: int | None = None,
) -> FastRoute:
    """The ASGI app: the FastAPI app (`.app`) behind the route fast path. With `router`
    given (tests, benchmarks) it is used as is. `max_body_bytes` defaults to
    ROUTERX_API_MAX_BODY_BYTES (1 MiB)."""
    _check_token(token)
    if max_body_bytes is None:
        from router.settings import load_settings

        max_body_bytes = load_settings().api_max_body_bytes
    discovery = _Discovery()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        if app.state.router is None:
            app.state.router = Router(database_url)
        if app.state.router.exploration.active:
            app.state.router.learn()
        yield

    app = FastAPI(
        title="routerx",
        summary="Which model for this task, and how did it go.",
        version="1",
        lifespan=lifespan,
    )
    app.router.route_class = _StrictJSONRoute
    app.state.router = router
    app.state.database_url = database_url
    app.state.token = token  # read on every request by the Guard and the route fast path
    app.add_middleware(Guard, max_body_bytes=max_body_bytes, path_limits=proxy_body_limits())

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        # loc, msg and type only: `input` can echo a whole batch back.
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg")),
                   "type": str(e.get("type"))} for e in exc.errors()]
        return _error(422, _describe(errors), errors=errors[:MAX_ERRORS_SHOWN])

    @app.exception_handler(_BadJSON)
    async def _bad_json(_: Request, exc: _BadJSON) -> Response:
        errors = [{"loc": list(exc.loc), "msg": exc.detail, "type": "json_invalid"}]
        return _error(422, _describe(errors), errors=errors)

    @app.exception_handler(UnknownNameError)
    async def _unknown(_: Request, exc: UnknownNameError) -> Response:
        return _error(422, str(exc))  # a name in the request body or query is wrong

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> Response:
        return _error(422, str(exc))

    @app.exception_handler(RoutingError)
    async def _routing(_: Request, exc: RoutingError) -> Response:
        return _error(404, str(exc))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> Response:
        return _error(503, str(exc))

    @app.get("/healthz", tags=["health"])
    def healthz(r: RouterDep) -> dict[str, Any]:
        """Liveness and the store's reachability."""
        r.refresh(force=True)
        return {"status": "ok", "categories": len(r.categories()),
                "exploration": r.exploration.to_dict()}

    @app.get("/v1/route", tags=["routing"])
    async def route(
        r: RouterDep,
        category: Annotated[str, Query(min_length=1, max_length=100)],
        exclude: Annotated[list[str] | None, Query()] = None,
        task_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    ) -> Response:
        """A model for a task of `category`, its provider and fallback chain, and why.

        With `task_id` the task keeps its model while its outcomes (posted with the same
        `task_id`) succeed. Returns {"model", "provider", "fallbacks", "is_exploration",
        "reason", "category"}.
        """
        if task_id is None:
            return _json(r.route(category, exclude=exclude or ()).to_dict())
        selection = await run_in_threadpool(  # a task's state is one store read
            r.route, category, task_id=task_id, exclude=exclude or ()
        )
        return _json(selection.to_dict())

    @app.get("/v1/pins", tags=["pins"])
    def pins(r: RouterDep) -> dict[str, Any]:
        """The operator pins in force (expired ones are left out)."""
        from router.pins import list_pins
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            return {"pins": [p.to_dict() for p in list_pins(session)]}

    @app.post("/v1/pins", tags=["pins"], status_code=201)
    def add_pin(r: RouterDep, body: PinIn) -> dict[str, Any]:
        """Pin a model for a category or one task (kind `pin`), or pin it out of a
        category or every category (kind `exclude`); a model not in the catalogue, a
        retired or excluded model to pin, or a pinned model to exclude: 422 with the
        reason."""
        duration = parse_duration(body.duration) if body.duration is not None else None
        if body.kind == "exclude":
            return r.exclude(body.category, body.model, duration=duration,
                             note=body.note).to_dict()
        assert body.category is not None  # PinIn._scope
        return r.pin(body.category, body.model, task_id=body.task_id, duration=duration,
                     note=body.note).to_dict()

    @app.delete("/v1/pins", tags=["pins"])
    def delete_pin(
        r: RouterDep,
        category: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        task_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
        kind: PinKindIn = "pin",
        model: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
        all_categories: bool = False,
    ) -> dict[str, Any]:
        """Remove the pin of a category (or of one task), or with `kind=exclude&model=M`
        lift an exclusion (of a category, or `all_categories=true`); none there: 404."""
        _pin_scope(kind, category, task_id, all_categories)
        if kind == "exclude":
            if model is None:
                raise InputError("kind=exclude needs model=M: the model whose exclusion to lift")
            check_model_id(model, "model")
            if category is not None:
                check_category(category, "category")
            try:
                r.unexclude(category, model)
            except InputError as exc:
                raise _NotFound(str(exc)) from None
            return {"unpinned": True, "kind": kind, "category": category or "*",
                    "model": model}
        assert category is not None  # _pin_scope
        try:
            r.unpin(category, task_id=task_id)
        except InputError as exc:
            raise _NotFound(str(exc)) from None
        return {"unpinned": True, "kind": kind, "category": category, "task_id": task_id}

    @app.post("/v1/outcomes", tags=["routing"], status_code=201,
              openapi_extra=_outcomes_schema())
    async def outcomes(r: RouterDep, request: Request) -> dict[str, Any]:
        """Record one outcome or a batch of at most 10,000 (all or nothing); unknown model
        or category: 422."""
        batch = _outcome_batch(await request.json())
        ids = await run_in_threadpool(r.record_many, [o.model_dump() for o in batch])
        return {"recorded": len(ids), "ids": ids}

    @app.get("/v1/placements", tags=["placements"])
    def placements(
        r: RouterDep, category: Annotated[str | None, Query(max_length=100)] = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Placements per category, best first (the shape `routerx placements import` reads)."""
        from router.placements import list_placements
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            try:
                return list_placements(session, category)
            except UnknownNameError as exc:
                raise _NotFound(str(exc)) from None

    @app.get("/v1/fallbacks/{category}", tags=["placements"])
    def fallbacks(r: RouterDep, category: str) -> dict[str, Any]:
        """The newest fallback table of a category."""
        from router.placements import latest_fallback_tables
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            tables = latest_fallback_tables(session)
        table = tables.get(category)
        if table is None:
            raise _NotFound(str(UnknownNameError("category", category, tables)))
        return {"category": table.category, "version": table.version, "models": table.models,
                "created_at": table.created_at.isoformat()}

    @app.exception_handler(_NotFound)
    async def _not_found(_: Request, exc: _NotFound) -> Response:
        return _error(404, str(exc))

    @app.get("/v1/exploration", tags=["exploration"])
    def exploration(r: RouterDep) -> dict[str, Any]:
        """{"active", "mode", "budget"} as stored (shared by every router process)."""
        from router.exploration import read_exploration
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            return read_exploration(session).to_dict()

    @app.post("/v1/exploration", tags=["exploration"])
    def set_exploration(r: RouterDep, body: ExplorationIn) -> dict[str, Any]:
        """Switch exploration on (with mode, budget, prior strength) or off.

        Without a mode, `on` keeps the stored mode; without a budget, the mode's budget.
        """
        if body.active:
            status = r.activate(body.mode, body.budget, prior_strength=body.prior_strength)
        else:
            status = r.deactivate()
        return status.to_dict()

    @app.get("/v1/performance", tags=["routing"])
    def performance(
        r: RouterDep, category: Annotated[str | None, Query(max_length=100)] = None
    ) -> dict[str, Any]:
        """Live aggregates per (category, model): success rate, latency percentiles, cost."""
        return {"performance": [p.to_dict() for p in r.performance(category)]}

    @app.post("/v1/session-start", tags=["discovery"], status_code=202)
    def session_start(
        r: RouterDep,
        background: BackgroundTasks,
        body: Annotated[SessionStartIn | None, Body()] = None,
    ) -> dict[str, Any]:
        """A new agent session: poll providers in the background if the last poll is stale.

        Answers at once; the poll (which may take seconds) runs after the response.
        """
        body = body or SessionStartIn()
        stale = body.if_stale_seconds or r.config.session_discovery_stale_seconds
        if discovery.lock.locked():
            return {"discovery": "already running", "if_stale_seconds": stale}
        background.add_task(discovery.run, r.database_url, body.providers, stale)
        return {"discovery": "scheduled", "if_stale_seconds": stale, "last": discovery.last}

    app.include_router(proxy_router)  # GET /v1/models, POST /v1/chat/completions
    return FastRoute(app)

