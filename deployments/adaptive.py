"""Adaptive polling: poll every few hours while providers keep shipping, nightly otherwise.

The `discover/nightly` deployment carries two Prefect schedules: `nightly` (cron, always
on) and `busy` (an interval, 4 h by default, off). At the end of every discover run the
flow looks at the stored discovery snapshots and switches `busy` on or off, so Prefect's
own scheduler does the polling and the UI shows which mode is in force.

The decision has hysteresis so that one release does not flip the mode back and forth:

- nightly -> busy when at least `busy_finds` separate polls (`round_gap` apart) found new
  models within the last `busy_window` ("recent polls keep finding new models");
- busy -> nightly when no poll has found a new model for `calm_after`.

A provider's first successful poll is not news (everything it lists is "new" then), so
it never counts as a find. Sessions' polls (`discover/session-start`) count like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlmodel import Session, col, select

from router.durations import parse_duration
from router.settings import from_environment
from router.store import get_engine
from router.store.models import DiscoverySnapshot

NIGHTLY_DEPLOYMENT = "discover/nightly"
BUSY_SLUG = "busy"


@dataclass(frozen=True)
class PollingPolicy:
    busy_finds: int = 2
    busy_window: timedelta = timedelta(hours=48)
    calm_after: timedelta = timedelta(hours=24)
    round_gap: timedelta = timedelta(minutes=30)

    @classmethod
    def from_env(cls) -> PollingPolicy:
        settings = from_environment(PollingSettings)
        policy = cls()
        window, calm = settings.poll_busy_window, settings.poll_calm_after
        return cls(
            busy_finds=settings.poll_busy_finds,
            busy_window=parse_duration(window) if window else policy.busy_window,
            calm_after=parse_duration(calm) if calm else policy.calm_after,
        )


class PollingSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    poll_busy_finds: int = Field(
        default=2, ge=1, validation_alias="ROUTERX_POLL_BUSY_FINDS",
        description="rounds of new models within the busy window that switch the 4-hourly "
        "discovery schedule on")
    poll_busy_window: str | None = Field(
        default=None, validation_alias="ROUTERX_POLL_BUSY_WINDOW",
        description="how far back those rounds are counted (a duration; default 48h)")
    poll_calm_after: str | None = Field(
        default=None, validation_alias="ROUTERX_POLL_CALM_AFTER",
        description="no new model for this long switches it off again (default 24h)")


def find_rounds(times: Iterable[datetime], gap: timedelta) -> list[datetime]:
    """Collapse finds less than `gap` apart into one (one poll covers several providers)."""
    rounds: list[datetime] = []
    for t in sorted(times):
        if not rounds or t - rounds[-1] >= gap:
            rounds.append(t)
    return rounds


def should_be_busy(find_times: Sequence[datetime], now: datetime, currently_busy: bool,
                   policy: PollingPolicy) -> bool:
    """The mode the schedules should be in, given when polls found new models."""
    if currently_busy:
        return any(now - t < policy.calm_after for t in find_times)
    recent = [t for t in find_times if now - t < policy.busy_window]
    return len(find_rounds(recent, policy.round_gap)) >= policy.busy_finds


def recent_find_times(since: datetime, database_url: str | None = None) -> list[datetime]:
    """When ok polls since `since` found new models, skipping each provider's first poll."""
    with Session(get_engine(database_url)) as session:
        rows = session.exec(
            select(DiscoverySnapshot)
            .where(DiscoverySnapshot.status == "ok", DiscoverySnapshot.polled_at >= since)
            .order_by(col(DiscoverySnapshot.polled_at))
        ).all()
        first_ok: dict[str, int] = {}
        for provider in {r.provider for r in rows}:
            first = session.exec(
                select(DiscoverySnapshot.id)
                .where(DiscoverySnapshot.provider == provider, DiscoverySnapshot.status == "ok")
                .order_by(col(DiscoverySnapshot.polled_at), col(DiscoverySnapshot.id))
                .limit(1)
            ).first()
            if first is not None:
                first_ok[provider] = first
    return [r.polled_at for r in rows if r.new_ids and first_ok.get(r.provider) != r.id]


async def adapt_schedules(now: datetime | None = None, policy: PollingPolicy | None = None,
                          database_url: str | None = None,
                          deployment_name: str = NIGHTLY_DEPLOYMENT) -> dict[str, Any]:
    """Switch the nightly deployment's `busy` schedule to the mode the snapshots call for.

    Without a server, or when `discover/nightly` is not deployed, there is nothing to
    adapt and the reason is returned instead.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    now = now or datetime.now(UTC)
    policy = policy or PollingPolicy.from_env()
    async with get_client() as client:
        try:
            deployment = await client.read_deployment_by_name(deployment_name)
        except ObjectNotFound:
            return {"mode": None, "reason": f"{deployment_name} is not deployed"}
        schedules = await client.read_deployment_schedules(deployment.id)
        busy = next((s for s in schedules if s.slug == BUSY_SLUG), None)
        if busy is None:
            return {"mode": None, "reason": f"{deployment_name} has no {BUSY_SLUG!r} schedule"}
        since = now - max(policy.busy_window, policy.calm_after)
        finds = recent_find_times(since, database_url)
        want = should_be_busy(finds, now, bool(busy.active), policy)
        if want != bool(busy.active):
            await client.update_deployment_schedule(deployment.id, busy.id, active=want)
    return {"mode": "busy" if want else "nightly", "changed": want != bool(busy.active),
            "finds": len(find_rounds(finds, policy.round_gap))}
