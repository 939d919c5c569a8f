"""Discovery: poll every configured provider once, diff by id, update the catalogue.

Why a set difference of ids and not a hash: the original sketch hashed the id list into
32 bits, so a collision could hide a new model. Here `new` is "ids in this successful
poll never catalogued before", `removed` is "ids of the provider's last successful
snapshot that are missing now", and a model that comes back is restored, not new.
A failed poll is stored as a snapshot with its error and changes nothing else: a
failure never retires a model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from router.errors import InputError, ProviderError
from router.ids import check_model_id
from router.providers.catalog import ProviderConfig, load_providers, select_providers
from router.providers.http import RetryPolicy
from router.providers.keys import redact
from router.providers.records import ModelRecord
from router.providers.registry import ListContext, get_adapter
from router.settings import Settings, load_settings
from router.store import get_engine
from router.store.models import DiscoverySnapshot, Model, ModelStatus
from router.store.versions import CATALOG, bump_version

USER_AGENT = "routerx-discovery/0.1"

log = logging.getLogger(__name__)


@dataclass
class ProviderPoll:
    """What one provider answered (or why not). Never carries a key."""

    provider: str
    status: str  # ok | error | skipped
    models: list[ModelRecord] = field(default_factory=list)
    error: str | None = None
    duration_ms: float | None = None
    polled_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class ProviderSummary:
    status: str
    models: int
    error: str | None = None
    new: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    reused: bool = False
    polled_at: datetime | None = None
    duration_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "models": self.models,
            "error": self.error,
            "new": self.new,
            "removed": self.removed,
            "reused": self.reused,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 1),
        }


@dataclass
class DiscoveryReport:
    polled_at: datetime
    providers: dict[str, ProviderSummary]

    def _all(self, attr: str) -> list[str]:
        return sorted(i for s in self.providers.values() for i in getattr(s, attr))

    @property
    def new(self) -> list[str]:
        return self._all("new")

    @property
    def removed(self) -> list[str]:
        return self._all("removed")

    @property
    def restored(self) -> list[str]:
        return self._all("restored")

    @property
    def queued(self) -> list[str]:
        """New chat models, now status `new`: what the assessment picks up."""
        return self._all("queued")

    @property
    def failed(self) -> list[str]:
        return [n for n, s in self.providers.items() if s.status == "error"]

    def to_json(self) -> dict[str, Any]:
        return {
            "polled_at": self.polled_at.isoformat(),
            "providers": {name: s.to_json() for name, s in self.providers.items()},
            "new": self.new,
            "removed": self.removed,
            "restored": self.restored,
            "queued": self.queued,
        }


# --- polling ---------------------------------------------------------------------------


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.http_retries + 1, max_seconds=settings.http_retry_max_seconds
    )


async def poll_provider(cfg: ProviderConfig, ctx: ListContext) -> ProviderPoll:
    """Poll one provider. Its failure is a result (status `error`), never an exception."""
    if not cfg.configured:
        return ProviderPoll(cfg.name, "skipped", error=cfg.skip_reason)
    started = time.perf_counter()
    polled_at = datetime.now(UTC)
    try:
        # The adapter's own retries are bounded in time; this bound covers the whole
        # poll including pagination, so one provider can never hold up the others.
        budget = ctx.policy.max_seconds + ctx.timeout
        records = await asyncio.wait_for(get_adapter(cfg.wire)(cfg, ctx), timeout=budget)
        status, error = "ok", None
    except ProviderError as exc:
        records, status, error = [], "error", str(exc).removeprefix(f"{cfg.name}: ")
    except TimeoutError:
        records, status = [], "error"
        error = f"no complete answer within {ctx.policy.max_seconds + ctx.timeout:.0f} s"
    if error and cfg.keys:
        error = redact(error, cfg.keys.secrets())
    unique: dict[str, ModelRecord] = {}
    for record in records:
        if record.id not in unique and acceptable(record):
            unique[record.id] = record
    return ProviderPoll(
        cfg.name, status, list(unique.values()), error,
        (time.perf_counter() - started) * 1000, polled_at,
    )


def acceptable(record: ModelRecord) -> bool:
    """Whether a listed model may enter the catalogue; a refused one is logged and left
    out, and the rest of the poll stands (one bad entry must not hide the others)."""
    try:
        check_model_id(record.id, f"{record.provider} listed a model whose id")
    except InputError as exc:
        log.warning("discovery skipped a model: %s", exc)
        return False
    return True


async def poll_providers(
    configs: Sequence[ProviderConfig],
    settings: Settings,
    client: httpx.AsyncClient | None = None,
) -> list[ProviderPoll]:
    """Poll every provider concurrently: the wall time is the slowest one, not the sum."""
    own_client = client is None
    if client is None:
        client = httpx.AsyncClient(
            timeout=settings.http_timeout, headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
        )
    ctx = ListContext(client, retry_policy(settings), settings.http_timeout)
    try:
        return list(await asyncio.gather(*(poll_provider(cfg, ctx) for cfg in configs)))
    finally:
        if own_client:
            await client.aclose()


# --- recording -------------------------------------------------------------------------


def _apply_record(row: Model, record: ModelRecord, now: datetime) -> None:
    """Refresh what the provider states now; keep what it stopped stating."""
    row.last_seen = now
    row.kind = record.kind
    row.can_chat = record.can_chat
    for attr in ("display_name", "context_window", "max_output_tokens", "created_at",
                 "input_price_per_mtok", "output_price_per_mtok"):
        value = getattr(record, attr)
        if value is not None:
            setattr(row, attr, value)


def _new_row(record: ModelRecord, now: datetime) -> Model:
    return Model(
        id=record.id, provider=record.provider, name=record.name,
        display_name=record.display_name, kind=record.kind, can_chat=record.can_chat,
        context_window=record.context_window, max_output_tokens=record.max_output_tokens,
        created_at=record.created_at, input_price_per_mtok=record.input_price_per_mtok,
        output_price_per_mtok=record.output_price_per_mtok,
        status=ModelStatus.NEW if record.can_chat else ModelStatus.CATALOGUED,
        first_seen=now, last_seen=now,
    )


def last_ok_snapshot(session: Session, provider: str) -> DiscoverySnapshot | None:
    return session.exec(
        select(DiscoverySnapshot)
        .where(DiscoverySnapshot.provider == provider, DiscoverySnapshot.status == "ok")
        .order_by(col(DiscoverySnapshot.polled_at).desc(), col(DiscoverySnapshot.id).desc())
        .limit(1)
    ).first()


def record_poll(session: Session, poll: ProviderPoll) -> ProviderSummary:
    """Store one poll and apply its diff to the catalogue, in the caller's transaction."""
    if poll.status == "skipped":
        return ProviderSummary("skipped", 0, poll.error)
    if poll.status != "ok":
        session.add(DiscoverySnapshot(
            provider=poll.provider, polled_at=poll.polled_at, status=poll.status,
            error=poll.error, duration_ms=poll.duration_ms,
        ))
        return ProviderSummary(poll.status, 0, poll.error, polled_at=poll.polled_at,
                               duration_ms=poll.duration_ms)

    now = poll.polled_at
    ids = [r.id for r in poll.models]
    previous = last_ok_snapshot(session, poll.provider)
    known = {m.id: m for m in session.exec(select(Model).where(Model.provider == poll.provider))}
    new, restored, queued = [], [], []
    for record in poll.models:
        row = known.get(record.id)
        if row is None:
            row = _new_row(record, now)
            session.add(row)
            new.append(record.id)
            if row.status == ModelStatus.NEW:
                queued.append(record.id)
            continue
        _apply_record(row, record, now)
        if row.status == ModelStatus.RETIRED:
            row.status = row.retired_from or (
                ModelStatus.NEW if record.can_chat else ModelStatus.CATALOGUED
            )
            row.retired_from = None
            row.retired_at = None
            row.status_reason = f"listed again by {poll.provider} on {now:%Y-%m-%d}"
            restored.append(record.id)
        session.add(row)
    removed = []
    if previous is not None:
        for model_id in sorted(set(previous.model_ids) - set(ids)):
            row = known.get(model_id)
            if row is None or row.status == ModelStatus.RETIRED:
                continue
            row.retired_from = row.status
            row.status = ModelStatus.RETIRED
            row.retired_at = now
            row.status_reason = f"no longer listed by {poll.provider} since {now:%Y-%m-%d}"
            session.add(row)
            removed.append(model_id)
    if new or removed or restored:
        bump_version(session, CATALOG)  # routers reload what they can route to
    session.add(DiscoverySnapshot(
        provider=poll.provider, polled_at=now, status="ok", model_ids=ids, new_ids=new,
        removed_ids=removed, restored_ids=restored, duration_ms=poll.duration_ms,
    ))
    return ProviderSummary("ok", len(ids), None, new, removed, restored, queued,
                           polled_at=now, duration_ms=poll.duration_ms)


def record_polls(polls: Sequence[ProviderPoll], database_url: str | None = None) -> DiscoveryReport:
    """Store every poll, one transaction per provider (one failing write loses no other)."""
    engine = get_engine(database_url)
    summaries: dict[str, ProviderSummary] = {}
    for poll in polls:
        for attempt in range(3):
            with Session(engine, expire_on_commit=False) as session:
                try:
                    summaries[poll.provider] = record_poll(session, poll)
                    session.commit()
                    break
                except IntegrityError:
                    # Another process catalogued the same model a moment ago: redo the
                    # diff against what it wrote, so the id counts as new only once.
                    session.rollback()
                    if attempt == 2:
                        raise
    polled = [p.polled_at for p in polls if p.status != "skipped"]
    return DiscoveryReport(min(polled) if polled else datetime.now(UTC), summaries)


# --- staleness -------------------------------------------------------------------------


def latest_snapshots(session: Session, names: Sequence[str],
                     since: datetime) -> dict[str, DiscoverySnapshot]:
    """Each provider's newest snapshot taken at or after `since` (absent if none)."""
    rows = session.exec(
        select(DiscoverySnapshot)
        .where(col(DiscoverySnapshot.provider).in_(list(names)),
               DiscoverySnapshot.polled_at >= since)
        .order_by(col(DiscoverySnapshot.polled_at).desc(), col(DiscoverySnapshot.id).desc())
    ).all()
    latest: dict[str, DiscoverySnapshot] = {}
    for snap in rows:
        latest.setdefault(snap.provider, snap)
    return latest


def fresh_summaries(
    configs: Sequence[ProviderConfig], max_age: timedelta, database_url: str | None = None
) -> dict[str, ProviderSummary]:
    """Providers whose latest poll is younger than `max_age`, as reused summaries."""
    names = [c.name for c in configs if c.configured]
    if not names:
        return {}
    with Session(get_engine(database_url)) as session:
        latest = latest_snapshots(session, names, datetime.now(UTC) - max_age)
    return {
        name: ProviderSummary(snap.status, len(snap.model_ids), snap.error, reused=True,
                              polled_at=snap.polled_at, duration_ms=snap.duration_ms)
        for name, snap in latest.items()
    }


# --- the whole thing -------------------------------------------------------------------


def configured_providers(names: Sequence[str] | None, settings: Settings) -> list[ProviderConfig]:
    return select_providers(load_providers(settings), list(names) if names else None)


def run_discovery(
    *,
    providers: Sequence[str] | None = None,
    if_stale: timedelta | None = None,
    database_url: str | None = None,
    client: httpx.AsyncClient | None = None,
    settings: Settings | None = None,
) -> DiscoveryReport:
    """One discovery without Prefect: poll (unless fresh), store, report.

    With `if_stale`, a provider polled within that window is not polled again; its
    last snapshot is reported with `reused` set and contributes nothing to `new`.
    """
    settings = settings or load_settings()
    configs = configured_providers(providers, settings)
    reused = fresh_summaries(configs, if_stale, database_url) if if_stale else {}
    to_poll = [c for c in configs if c.name not in reused]
    polls = asyncio.run(poll_providers(to_poll, settings, client)) if to_poll else []
    report = record_polls(polls, database_url)
    report.providers.update(reused)
    report.providers = {c.name: report.providers[c.name] for c in configs}
    if reused and not polls:
        report.polled_at = min(s.polled_at for s in reused.values() if s.polled_at)
    return report
