"""The `discover` flow: poll every provider concurrently, store, announce new models."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow

from tasks.adaptive import adapt_polling_task
from tasks.discovery import (
    emit_discovered_task,
    fresh_polls_task,
    list_providers_task,
    poll_provider_task,
    record_polls_task,
)


@flow(name="discover", log_prints=False)
async def discover(
    providers: list[str] | None = None,
    if_stale_seconds: float | None = None,
) -> dict[str, Any]:
    """One poll of every configured provider (one task each, concurrent).

    Emits `routerx.model.discovered` per new model and returns the discovery report
    in the shape `routerx discover --json` prints.
    """
    names = list_providers_task(providers)
    reused = fresh_polls_task(names, if_stale_seconds) if if_stale_seconds else {}
    polls = await asyncio.gather(*(poll_provider_task(n) for n in names if n not in reused))
    report = record_polls_task(list(polls))
    report.providers.update(reused)
    report.providers = {n: report.providers[n] for n in names}
    emit_discovered_task(report)
    await adapt_polling_task()
    return report.to_json()
