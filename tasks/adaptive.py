"""Prefect task for adaptive polling: a thin wrapper over deployments.adaptive."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NONE
from prefect.logging import get_run_logger

from deployments.adaptive import adapt_schedules


@task(name="adapt-polling", cache_policy=NONE)
async def adapt_polling_task() -> dict[str, Any]:
    """Switch `discover/nightly`'s busy schedule; a failure here never fails discovery."""
    try:
        outcome = await adapt_schedules()
    except Exception as exc:  # noqa: BLE001 - the poll itself succeeded; say why, go on
        get_run_logger().warning("adaptive polling left unchanged: %s: %s",
                                 type(exc).__name__, exc)
        return {"mode": None, "reason": f"{type(exc).__name__}: {exc}"}
    if outcome.get("changed"):
        get_run_logger().info("polling mode is now %s", outcome["mode"])
    return outcome
