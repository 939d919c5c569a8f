"""Adaptive polling: the decision by hand, the store query, and the schedule switch."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from deployments.adaptive import (
    PollingPolicy,
    adapt_schedules,
    find_rounds,
    recent_find_times,
    should_be_busy,
)
from router.errors import ConfigError
from router.store import get_engine
from router.store.models import DiscoverySnapshot
from tests.deployments.conftest import Served

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = PollingPolicy()  # 2 finds in 48 h -> busy; 24 h without one -> nightly


def h(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def test_finds_minutes_apart_are_one_round() -> None:
    assert find_rounds([h(1), h(1.2), h(30), h(0.9)], timedelta(minutes=30)) == [h(30), h(1.2)]


@pytest.mark.parametrize(("finds", "busy_now", "expected"), [
    ([], False, False),
    ([h(1)], False, False),                 # one release is not a trend
    ([h(1), h(1.1)], False, False),         # two providers in one poll: still one round
    ([h(1), h(40)], False, True),           # two separate finds within 48 h
    ([h(1), h(50)], False, False),          # the older one is outside the window
    ([h(23)], True, True),                  # busy stays busy while a find is < 24 h old
    ([h(25), h(30)], True, False),          # a calm day: back to nightly
    ([], True, False),
])
def test_should_be_busy(finds: list[datetime], busy_now: bool, expected: bool) -> None:
    assert should_be_busy(finds, NOW, busy_now, POLICY) is expected


def test_policy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUTERX_POLL_BUSY_FINDS", "3")
    monkeypatch.setenv("ROUTERX_POLL_CALM_AFTER", "12h")
    policy = PollingPolicy.from_env()
    assert (policy.busy_finds, policy.calm_after, policy.busy_window) == (
        3, timedelta(hours=12), timedelta(hours=48))
    monkeypatch.setenv("ROUTERX_POLL_BUSY_FINDS", "often")
    with pytest.raises(ConfigError, match="ROUTERX_POLL_BUSY_FINDS"):
        PollingPolicy.from_env()


def _snap(provider: str, at: datetime, new: list[str], status: str = "ok") -> DiscoverySnapshot:
    return DiscoverySnapshot(provider=provider, polled_at=at, status=status,
                             model_ids=new, new_ids=new)


def test_recent_find_times_skip_each_providers_first_catalogue(database_url: str) -> None:
    with Session(get_engine(database_url)) as s:
        s.add_all([
            _snap("openai", h(100), ["openai/a", "openai/b"]),   # first poll: catalogue
            _snap("openai", h(30), ["openai/c"]),
            _snap("openai", h(20), []),
            _snap("groq", h(10), ["groq/x"]),                     # groq's first poll
            _snap("groq", h(5), ["groq/y"]),
            _snap("groq", h(4), [], status="error"),
        ])
        s.commit()
    assert recent_find_times(h(72), database_url) == [h(30), h(5)]
    assert recent_find_times(h(6), database_url) == [h(5)]


def test_the_busy_schedule_follows_the_snapshots(served: Served, prefect_api: str,
                                                 tmp_path) -> None:  # noqa: ANN001
    from prefect.client.orchestration import get_client

    url = f"sqlite:///{tmp_path / 'adaptive.db'}"
    with Session(get_engine(url)) as s:
        s.add_all([_snap("openai", h(200), ["openai/a"]), _snap("openai", h(30), ["openai/b"]),
                   _snap("openai", h(2), ["openai/c"])])
        s.commit()

    def busy_active() -> bool:
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("discover/nightly")
            return next(s.active for s in client.read_deployment_schedules(deployment.id)
                        if s.slug == "busy")

    assert busy_active() is False
    outcome = asyncio.run(adapt_schedules(NOW, POLICY, url))
    assert outcome == {"mode": "busy", "changed": True, "finds": 2}
    assert busy_active() is True
    assert asyncio.run(adapt_schedules(NOW, POLICY, url))["changed"] is False

    a_calm_day_later = NOW + timedelta(hours=23)   # the last find is 25 h old
    outcome = asyncio.run(adapt_schedules(a_calm_day_later, POLICY, url))
    assert outcome["mode"] == "nightly" and outcome["changed"] is True
    assert busy_active() is False


def test_without_the_nightly_deployment_nothing_changes(prefect_api: str) -> None:
    outcome = asyncio.run(adapt_schedules(NOW, POLICY, deployment_name="discover/absent"))
    assert outcome == {"mode": None, "reason": "discover/absent is not deployed"}
