"""`Router`: the runtime router an agent asks for a model and tells how it went.

It wraps `router.core.RoutingCore` (the decisions) with the store:

- Placements, fallback tables, the catalogue and the exploration switch are cached in
  memory. Every `refresh_seconds` one route reads the store's version counters (one
  indexed query) and reloads only what changed, so many router processes and the
  assessment flow share one store and a route costs microseconds, not a query.
- Outcomes are stored first, then applied to the tracker and the posteriors. What is
  learned is never stored separately: on first need the router replays the last
  `lookback_days` of outcomes, and on each refresh it picks up outcomes other processes
  (say, `routerx outcome` calls beside `routerx serve`) wrote since. A process that
  never explores never pays for the replay.
- Thread safe: routes and records may come from a thread pool (the HTTP API).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from router.core import RoutingCore
from router.errors import InputError, UnknownNameError
from router.exploration import ExplorationStatus, read_exploration, write_exploration
from router.outcomes import OutcomeRecord, insert_outcomes, load_outcomes
from router.pins import (
    PinEntry,
    load_pin_book,
    remove_exclusion,
    remove_pin,
    set_exclusion,
    set_pin,
)
from router.reward import rewards as compute_rewards
from router.routing_settings import RouterConfig, load_router_config
from router.routing_table import RoutingTable, load_routing_table
from router.selection import Selection
from router.store import get_engine, session_scope
from router.store.models import ALL_CATEGORIES, Model
from router.store.types import utcnow
from router.store.versions import EXPLORATION, ROUTING_KEYS, read_versions
from router.task_assignments import load_task, record_task_outcomes, save_route
from router.tracker import ModelPerformance, PerformanceTracker

log = logging.getLogger(__name__)

# Ids below the highest applied one that are re-read on each sync: on PostgreSQL a
# transaction that took an id earlier can commit after a later one was already seen.
_SYNC_SLACK = 64
_REPLAY_CHUNK = 4096

_Row = tuple[str, str, bool, float | None, float | None, float | None, int | None, int | None]


def _nan(value: float | None) -> float:
    return np.nan if value is None else float(value)


class Router:
    """Route tasks to models and learn from their outcomes.

    Example:
        router = Router(seed=7)
        choice = router.route("code-generation")
        router.record(choice, category=choice.category, success=True, latency_ms=850)
    """

    def __init__(
        self,
        database_url: str | None = None,
        seed: int | None = None,
        *,
        config: RouterConfig | None = None,
    ) -> None:
        self.config = config or load_router_config()
        self.database_url = database_url
        self._engine = get_engine(database_url)
        self._lock = threading.RLock()  # guards the core and the tracker
        self._sync_lock = threading.Lock()  # orders store writes against outcome syncs
        self._tick_lock = threading.Lock()
        self._tracker = PerformanceTracker(self.config.tracker_window)
        self._weights = self.config.reward_weights
        self._learned = False
        self._applied: set[int] = set()
        self._high = 0
        self._extra_providers: dict[str, str] = {}
        with Session(self._engine) as session:
            self._versions = read_versions(session)
            table = load_routing_table(session)
            status = read_exploration(session)
            pins = load_pin_book(session)
        self._core = RoutingCore(
            table,
            status,
            rng=np.random.default_rng(seed),
            discount=self.config.discount,
            default_category=self.config.default_category,
            stuck_after=self.config.stuck_after,
        )
        self._core.set_pins(pins)
        self._next_check = time.monotonic() + self.config.refresh_seconds

    # -- reading ------------------------------------------------------------------------

    @property
    def core(self) -> RoutingCore:
        return self._core

    @property
    def table(self) -> RoutingTable:
        return self._core.table

    @property
    def exploration(self) -> ExplorationStatus:
        """The exploration switch as of the last refresh."""
        return self._core.exploration

    def categories(self) -> list[str]:
        return sorted(self._core.table.categories)

    # -- routing ------------------------------------------------------------------------

    def route(
        self, category: str, *, task_id: str | None = None, exclude: Iterable[str] = ()
    ) -> Selection:
        """A model for a task of `category` (never one in `exclude`), with its fallbacks.

        With `task_id`, the task keeps its model while its outcomes succeed and moves on
        when they fail (see `router.strategies.stickiness`); that costs one store read,
        and a write when the task's model changes. Raises RoutingError when no usable
        model exists; never invents one.
        """
        if time.monotonic() >= self._next_check:
            self.refresh(force=False)
        core = self._core
        if core.exploration.active and not self._learned:
            self.learn()
        if task_id is None:
            with self._lock:
                return core.route(category, exclude)
        try:
            with self._engine.begin() as conn:
                task = load_task(conn, task_id)
                with self._lock:
                    selection = core.route(category, exclude, task_id=task_id, task=task)
                save_route(conn, task_id, selection, task)
        except SQLAlchemyError as exc:  # the database blinked: route as if the task were new
            log.warning("router: task %r state unavailable, routing without it: %s",
                        task_id, exc)
            with self._lock:
                return core.route(category, exclude, task_id=task_id)
        return selection

    def refresh(self, *, force: bool = True) -> None:
        """Check the store's version counters now and reload what changed.

        A store that cannot be reached is logged, and routing continues from the cache:
        an agent should not stop working because the database blinked.
        """
        if not self._tick_lock.acquire(blocking=force):
            return
        try:
            self._next_check = time.monotonic() + self.config.refresh_seconds
            try:
                self._reload()
                if self._learned:
                    self._sync_outcomes()
            except SQLAlchemyError as exc:
                if force:
                    raise
                log.warning("router: store check failed, serving cached tables: %s", exc)
        finally:
            self._tick_lock.release()

    def _reload(self) -> None:
        """Reload what a moved version counter guards; also the table and pins when an
        operator's exclusion ran out (no counter moves for that)."""
        with Session(self._engine) as session:
            versions = read_versions(session, ROUTING_KEYS)
            lapsed = utcnow().timestamp() >= self._core.table.expires_ts
            if versions == self._versions and not lapsed:
                return
            changed = {k for k in versions if versions[k] != self._versions.get(k)}
            routing = lapsed or bool(changed - {EXPLORATION})
            table = load_routing_table(session) if routing else None
            status = read_exploration(session) if EXPLORATION in changed else None
            pins = load_pin_book(session) if routing else None
        with self._lock:
            if pins is not None:
                self._core.set_pins(pins)
            if status is not None:
                self._core.set_exploration(status)
            if table is not None:
                self._core.set_table(table)
                self._extra_providers.clear()
            self._versions = versions

    # -- exploration --------------------------------------------------------------------

    def activate(
        self,
        mode: str | None = "balanced",
        budget: float | None = None,
        *,
        prior_strength: float | None = None,
    ) -> ExplorationStatus:
        """Turn exploration on for every router sharing this store (persisted).

        `budget` (percent of routes that are Thompson rounds, 0-100) and
        `prior_strength` default to the mode's; `mode=None` keeps the stored mode.
        """
        with session_scope(self.database_url) as session:
            status = write_exploration(
                session, active=True, mode=mode, budget=budget, prior_strength=prior_strength
            )
        with self._lock:
            self._core.set_exploration(status)
        return status

    def deactivate(self) -> ExplorationStatus:
        """Turn exploration off everywhere; routes serve the fallback tables again."""
        with session_scope(self.database_url) as session:
            status = write_exploration(session, active=False)
        with self._lock:
            self._core.set_exploration(status)
        return status

    # -- operator pins ------------------------------------------------------------------

    def pin(
        self,
        category: str,
        model: str,
        *,
        task_id: str | None = None,
        duration: timedelta | None = None,
        created_by: str | None = None,
        note: str | None = None,
    ) -> PinEntry:
        """Pin `model` for every router sharing the store (this one at once, the others
        on their next refresh). Refused for a model not in the catalogue, retired or
        excluded there, and for a category with no usable model."""
        with session_scope(self.database_url) as session:
            entry = set_pin(session, category, model, task_id=task_id, duration=duration,
                            created_by=created_by, note=note)
        self.refresh(force=True)
        return entry

    def unpin(self, category: str, *, task_id: str | None = None) -> None:
        with session_scope(self.database_url) as session:
            remove_pin(session, category, task_id=task_id)
        self.refresh(force=True)

    def exclude(
        self,
        category: str | None,
        model: str,
        *,
        duration: timedelta | None = None,
        created_by: str | None = None,
        note: str | None = None,
    ) -> PinEntry:
        """Pin `model` out of `category` (None: out of every category) for every router
        sharing the store: no strategy serves it there, and a task on it moves on.
        Refused while an operator pin serves that model there."""
        with session_scope(self.database_url) as session:
            entry = set_exclusion(session, ALL_CATEGORIES if category is None else category,
                                  model, duration=duration, created_by=created_by, note=note)
        self.refresh(force=True)
        return entry

    def unexclude(self, category: str | None, model: str) -> None:
        """Lift an exclusion made by `exclude` with the same category (or None)."""
        with session_scope(self.database_url) as session:
            remove_exclusion(session, ALL_CATEGORIES if category is None else category, model)
        self.refresh(force=True)

    # -- outcomes -----------------------------------------------------------------------

    def record(
        self,
        selection_or_model: Selection | str,
        *,
        category: str,
        success: bool,
        accuracy: float | None = None,
        latency_ms: float | None = None,
        cost_usd: float | None = None,
        tokens_in: int | None = None,
        tokens_out: int | None = None,
        task_id: str | None = None,
        complexity: str | None = None,
        file_size: int | None = None,
        language: str | None = None,
        is_exploration: bool | None = None,
    ) -> int:
        """Store one outcome and learn from it; returns the stored outcome's id."""
        if isinstance(selection_or_model, Selection):
            model = selection_or_model.model
            explored = selection_or_model.is_exploration if is_exploration is None else (
                is_exploration
            )
        else:
            model = selection_or_model
            explored = bool(is_exploration)
        record = OutcomeRecord(
            model=model,
            category=category,
            success=success,
            accuracy=accuracy,
            latency_ms=latency_ms,
            cost_usd=cost_usd,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            task_id=task_id,
            complexity=complexity,
            file_size=file_size,
            language=language,
            is_exploration=explored,
        )
        return self.record_many([record])[0]

    def record_many(
        self, records: Iterable[OutcomeRecord | Mapping[str, Any]]
    ) -> list[int]:
        """Store a batch in one transaction, then learn from it; all or nothing.

        An unknown model or category refuses the whole batch before anything is written.
        Returns the stored outcomes' ids in ascending order.
        """
        batch = [
            (r if isinstance(r, OutcomeRecord) else OutcomeRecord.from_mapping(r)).validate()
            for r in records
        ]
        if not batch:
            return []
        providers = self._providers_for(batch)
        with self._sync_lock:
            with self._engine.begin() as conn:
                ids = insert_outcomes(conn, batch, providers)
                record_task_outcomes(conn, [
                    (r.task_id, r.category, r.model, r.success, r.is_exploration)
                    for r in batch if r.task_id is not None
                ])
            if self._learned:
                rows = [
                    (r.category, r.model, r.success, r.accuracy, r.latency_ms, r.cost_usd,
                     r.tokens_in, r.tokens_out)
                    for r in batch
                ]
                with self._lock:
                    self._learn_rows(rows)
                self._mark_applied(ids)
        return ids

    def _providers_for(self, batch: Sequence[OutcomeRecord]) -> list[str]:
        categories = self._core.table.categories
        unknown = {r.category for r in batch if r.category not in categories}
        if unknown:
            self.refresh(force=True)
            categories = self._core.table.categories
            unknown = {r.category for r in batch if r.category not in categories}
            if unknown:
                raise UnknownNameError("category", sorted(unknown)[0], categories)
        providers = []
        for r in batch:
            provider = self._provider_of(r.model)
            if provider is None:
                raise InputError(
                    f"unknown model {r.model!r}: it is not in the catalogue, so the outcome "
                    "was not stored; see `routerx models` for known ids"
                )
            providers.append(provider)
        return providers

    def _provider_of(self, model: str) -> str | None:
        provider = self._core.table.providers.get(model) or self._extra_providers.get(model)
        if provider is None:
            with Session(self._engine) as session:
                provider = session.exec(select(Model.provider).where(Model.id == model)).first()
            if provider is not None:
                self._extra_providers[model] = provider
        return provider

    # -- learning -----------------------------------------------------------------------

    def learn(self) -> None:
        """Replay the stored outcomes of the last `lookback_days` (once per process)."""
        with self._sync_lock:
            if self._learned:
                return
            since = utcnow() - timedelta(days=self.config.lookback_days)
            with self._engine.connect() as conn:
                rows = load_outcomes(conn, since=since)
            with self._lock:
                for start in range(0, len(rows), _REPLAY_CHUNK):
                    chunk = rows[start : start + _REPLAY_CHUNK]
                    self._learn_rows([tuple(r[1:]) for r in chunk])
            self._mark_applied([int(r[0]) for r in rows])
            self._learned = True

    def _sync_outcomes(self) -> None:
        """Apply outcomes other processes stored since the last look."""
        if not self._sync_lock.acquire(blocking=False):
            return
        try:
            with self._engine.connect() as conn:
                rows = load_outcomes(conn, after_id=max(0, self._high - _SYNC_SLACK))
            fresh = [r for r in rows if int(r[0]) not in self._applied]
            if not fresh:
                return
            with self._lock:
                self._learn_rows([tuple(r[1:]) for r in fresh])
            self._mark_applied([int(r[0]) for r in fresh])
        finally:
            self._sync_lock.release()

    def _mark_applied(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        self._applied.update(ids)
        self._high = max(self._high, max(ids))
        floor = self._high - _SYNC_SLACK
        if len(self._applied) > 4 * _SYNC_SLACK:
            self._applied = {i for i in self._applied if i > floor}

    def _learn_rows(self, rows: Sequence[_Row]) -> None:
        """Tracker first (it supplies the category's latency/cost range), then rewards
        per category in one vectorised call, then the posteriors. Caller holds _lock."""
        by_category: dict[str, list[_Row]] = {}
        tracker = self._tracker
        for row in rows:
            category, model, success, accuracy, latency, cost, tin, tout = row
            tracker.add(category, model, bool(success), accuracy, latency, cost, tin, tout)
            by_category.setdefault(category, []).append(row)
        for category, items in by_category.items():
            utilities = compute_rewards(
                np.fromiter((r[2] for r in items), dtype=float, count=len(items)),
                np.fromiter((_nan(r[3]) for r in items), dtype=float, count=len(items)),
                np.fromiter((_nan(r[4]) for r in items), dtype=float, count=len(items)),
                np.fromiter((_nan(r[5]) for r in items), dtype=float, count=len(items)),
                self._weights,
                tracker.latency_range(category),
                tracker.cost_range(category),
            )
            self._core.observe(category, [r[1] for r in items], utilities)

    def performance(self, category: str | None = None) -> list[ModelPerformance]:
        """The tracker's aggregates per (category, model)."""
        self.learn()
        with self._lock:
            return self._tracker.snapshot(category)

    def belief(self, category: str, model: str) -> tuple[float, float] | None:
        """(alpha, beta) of a model's posterior in a category (for inspection and tests)."""
        self.learn()
        with self._lock:
            return self._core.beliefs.belief(category, model)
