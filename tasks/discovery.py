"""Prefect tasks for discovery: thin wrappers over router.discovery.

Tasks take a provider *name*, never its config: a config holds keys, and task inputs
can end up in Prefect's records. Each task resolves the key from the environment itself.
"""

from __future__ import annotations

from datetime import timedelta

from prefect import task
from prefect.cache_policies import NONE
from prefect.events import emit_event

from router.discovery import (
    DiscoveryReport,
    ProviderPoll,
    ProviderSummary,
    configured_providers,
    fresh_summaries,
    poll_providers,
    record_polls,
)
from router.events import discovered_events
from router.settings import load_settings


@task(name="list-providers", cache_policy=NONE)
def list_providers_task(providers: list[str] | None) -> list[str]:
    return [c.name for c in configured_providers(providers, load_settings())]


@task(name="reuse-fresh-polls", cache_policy=NONE)
def fresh_polls_task(providers: list[str], max_age_seconds: float) -> dict[str, ProviderSummary]:
    configs = configured_providers(providers, load_settings())
    return fresh_summaries(configs, timedelta(seconds=max_age_seconds))


@task(name="poll-provider", task_run_name="poll-{provider}", cache_policy=NONE)
async def poll_provider_task(provider: str) -> ProviderPoll:
    settings = load_settings()
    (poll,) = await poll_providers(configured_providers([provider], settings), settings)
    return poll


@task(name="record-discovery", cache_policy=NONE)
def record_polls_task(polls: list[ProviderPoll]) -> DiscoveryReport:
    return record_polls(polls)


@task(name="emit-discovered-events", cache_policy=NONE)
def emit_discovered_task(report: DiscoveryReport) -> int:
    events = discovered_events(report)
    for event in events:
        emit_event(**event)
    return len(events)
