"""The router's HTTP API (FastAPI), for agents written in other languages.

One `Router` per process serves every request. `GET /v1/route` is served on the event
loop, without a thread hop: a route is microseconds of in-memory work. Its successful
requests are answered by a raw-ASGI fast path (`router.api_fast_route`); the endpoint
below defines the schema and answers everything else. Everything that writes to the
store (outcomes, exploration, discovery) runs in the thread pool.

Security: `routerx serve` binds 127.0.0.1 unless told otherwise and refuses any other
address without `ROUTERX_API_TOKEN`; when a token is configured every `/v1` endpoint
wants `Authorization: Bearer <token>` (compared in constant time). `/healthz` stays
open for load balancers and says nothing secret.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

from fastapi import BackgroundTasks, Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from router.api_fast_route import FastRoute
from router.errors import InputError, RouterxError, RoutingError, StoreError, UnknownNameError
from router.router import Router

log = logging.getLogger(__name__)

MAX_BATCH = 10_000


class _Unauthorised(Exception):
    """Missing or wrong bearer token (answered 401)."""


class _NotFound(Exception):
    """A path names something that does not exist (answered 404)."""


class OutcomeIn(BaseModel):
    """One task outcome. Unknown fields are refused, so a typo is not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=300, description="provider/model")
    category: str = Field(min_length=1, max_length=100)
    success: StrictBool
    accuracy: float | None = Field(default=None, ge=0, le=1)
    latency_ms: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    cost_usd: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    tokens_in: int | None = Field(default=None, ge=0)
    tokens_out: int | None = Field(default=None, ge=0)
    task_id: str | None = Field(default=None, max_length=200)
    complexity: str | None = Field(default=None, max_length=50)
    file_size: int | None = Field(default=None, ge=0)
    language: str | None = Field(default=None, max_length=50)
    is_exploration: StrictBool = False


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=300, description="provider/model")
    task_id: str | None = Field(default=None, max_length=200, description="pin one task only")
    duration: str | None = Field(default=None, max_length=50, description="e.g. 30m, 2h, 1d")
    note: str | None = Field(default=None, max_length=500)


class ExplorationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: StrictBool
    mode: str | None = Field(default=None, description="balanced, aggressive or conservative")
    budget: float | None = Field(default=None, ge=0, le=100, description="percent of routes")
    prior_strength: float | None = Field(default=None, ge=0, le=10_000)


class SessionStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    providers: list[str] | None = Field(default=None, description="default: all configured")
    if_stale_seconds: float | None = Field(
        default=None, gt=0, description="poll only providers last polled longer ago than this"
    )


def _json(payload: Any, status_code: int = 200) -> Response:
    return Response(json.dumps(payload), status_code=status_code, media_type="application/json")


def _error(status_code: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status_code)


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


async def authorise(request: Request) -> None:
    """With a token configured, every /v1 call must carry it as a bearer token."""
    token = request.app.state.token
    if token is None:
        return
    scheme, _, supplied = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(supplied.encode(), token.encode()):
        raise _Unauthorised()


RouterDep = Annotated[Router, Depends(get_router)]


def create_app(
    *,
    database_url: str | None = None,
    token: str | None = None,
    router: Router | None = None,
) -> FastRoute:
    """The ASGI app: the FastAPI app (`.app`) behind the route fast path. With `router`
    given (tests, benchmarks) it is used as is."""
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
    app.state.router = router
    app.state.database_url = database_url
    app.state.token = token
    auth = [Depends(authorise)]

    @app.exception_handler(_Unauthorised)
    async def _unauthorised(_: Request, __: _Unauthorised) -> JSONResponse:
        return JSONResponse(
            {"detail": "missing or wrong bearer token (Authorization: Bearer $ROUTERX_API_TOKEN)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        return JSONResponse(
            {"detail": _describe(errors), "errors": json.loads(json.dumps(errors, default=str))},
            status_code=422,
        )

    @app.exception_handler(UnknownNameError)
    async def _unknown(_: Request, exc: UnknownNameError) -> JSONResponse:
        return _error(422, str(exc))  # a name in the request body or query is wrong

    @app.exception_handler(InputError)
    async def _input(_: Request, exc: InputError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(RoutingError)
    async def _routing(_: Request, exc: RoutingError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        return _error(503, str(exc))

    @app.get("/healthz", tags=["health"])
    def healthz(r: RouterDep) -> dict[str, Any]:
        """Liveness and the store's reachability."""
        r.refresh(force=True)
        return {"status": "ok", "categories": len(r.categories()),
                "exploration": r.exploration.to_dict()}

    @app.get("/v1/route", dependencies=auth, tags=["routing"])
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

    @app.get("/v1/pins", dependencies=auth, tags=["pins"])
    def pins(r: RouterDep) -> dict[str, Any]:
        """The operator pins in force (expired ones are left out)."""
        from router.pins import list_pins
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            return {"pins": [p.to_dict() for p in list_pins(session)]}

    @app.post("/v1/pins", dependencies=auth, tags=["pins"], status_code=201)
    def add_pin(r: RouterDep, body: PinIn) -> dict[str, Any]:
        """Pin a model for a category or one task; a model not in the catalogue or
        retired: 422 with the reason."""
        from router.durations import parse_duration

        duration = parse_duration(body.duration) if body.duration is not None else None
        return r.pin(body.category, body.model, task_id=body.task_id, duration=duration,
                     note=body.note).to_dict()

    @app.delete("/v1/pins", dependencies=auth, tags=["pins"])
    def delete_pin(
        r: RouterDep,
        category: Annotated[str, Query(min_length=1, max_length=100)],
        task_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    ) -> dict[str, Any]:
        """Remove the pin of a category (or of one task); none there: 404."""
        try:
            r.unpin(category, task_id=task_id)
        except InputError as exc:
            raise _NotFound(str(exc)) from None
        return {"unpinned": True, "category": category, "task_id": task_id}

    @app.post("/v1/outcomes", dependencies=auth, tags=["routing"], status_code=201)
    def outcomes(
        r: RouterDep, body: Annotated[OutcomeIn | list[OutcomeIn], Body()]
    ) -> dict[str, Any]:
        """Record one outcome or a batch (all or nothing); unknown model or category: 422."""
        batch = body if isinstance(body, list) else [body]
        if not batch:
            raise InputError("empty batch: send one outcome object or a non-empty list")
        if len(batch) > MAX_BATCH:
            raise InputError(f"batch of {len(batch)} outcomes; send at most {MAX_BATCH}")
        ids = r.record_many([o.model_dump() for o in batch])
        return {"recorded": len(ids), "ids": ids}

    @app.get("/v1/placements", dependencies=auth, tags=["placements"])
    def placements(
        r: RouterDep, category: Annotated[str | None, Query(max_length=100)] = None
    ) -> dict[str, list[dict]]:
        """Placements per category, best first (the shape `routerx placements import` reads)."""
        from router.placements import list_placements
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            try:
                return list_placements(session, category)
            except UnknownNameError as exc:
                raise _NotFound(str(exc)) from None

    @app.get("/v1/fallbacks/{category}", dependencies=auth, tags=["placements"])
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
    async def _not_found(_: Request, exc: _NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.get("/v1/exploration", dependencies=auth, tags=["exploration"])
    def exploration(r: RouterDep) -> dict[str, Any]:
        """{"active", "mode", "budget"} as stored (shared by every router process)."""
        from router.exploration import read_exploration
        from router.store import session_scope

        with session_scope(r.database_url) as session:
            return read_exploration(session).to_dict()

    @app.post("/v1/exploration", dependencies=auth, tags=["exploration"])
    def set_exploration(r: RouterDep, body: ExplorationIn) -> dict[str, Any]:
        """Switch exploration on (with mode, budget, prior strength) or off.

        Without a mode, `on` keeps the stored mode; without a budget, the mode's budget.
        """
        if body.active:
            status = r.activate(body.mode, body.budget, prior_strength=body.prior_strength)
        else:
            status = r.deactivate()
        return status.to_dict()

    @app.get("/v1/performance", dependencies=auth, tags=["routing"])
    def performance(
        r: RouterDep, category: Annotated[str | None, Query(max_length=100)] = None
    ) -> dict[str, Any]:
        """Live aggregates per (category, model): success rate, latency percentiles, cost."""
        return {"performance": [p.to_dict() for p in r.performance(category)]}

    @app.post("/v1/session-start", dependencies=auth, tags=["discovery"], status_code=202)
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

    return FastRoute(app)

