"""The `discover` flow: poll every provider concurrently, store, announce new models."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow
from prefect.runtime import deployment

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
    assess_found: bool = True,
    assess_limit: int | None = None,
) -> dict[str, Any]:
    """One poll of every configured provider (one task each, concurrent).

    Emits `routerx.model.discovered` per new model and returns the discovery report
    in the shape `routerx discover --json` prints. Run locally (not from a deployment),
    it then assesses the new chat models itself as a subflow; deployed, the event
    triggers the `assess/on-discovery` deployment instead.
    """
    names = list_providers_task(providers)
    reused = fresh_polls_task(names, if_stale_seconds) if if_stale_seconds else {}
    polls = await asyncio.gather(*(poll_provider_task(n) for n in names if n not in reused))
    report = record_polls_task(list(polls))
    report.providers.update(reused)
    report.providers = {n: report.providers[n] for n in names}
    emit_discovered_task(report)
    await adapt_polling_task()
    result = report.to_json()
    if assess_found and result["queued"] and deployment.get_id() is None:
        from flows.assess import assess

        result["assessment"] = await asyncio.to_thread(
            assess, models=result["queued"], limit=assess_limit)
    return result
