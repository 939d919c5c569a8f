"""`routerx discover` with a Prefect server: run `discover/session-start` there and wait.

Why through the server: the poll then runs where the deployments run (the worker holds
the keys), shows up in the UI, and its `routerx.model.discovered` events reach the
server, which starts `assess/on-discovery`. The command still prints the usual report:
it is rebuilt from the snapshots the run stored, so the CLI needs the same store as the
workers (ROUTERX_DATABASE_URL), not access to Prefect's result storage.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, select

from router.discovery import (
    DiscoveryReport,
    ProviderSummary,
    configured_providers,
    fresh_summaries,
    latest_snapshots,
)
from router.errors import ConfigError
from router.settings import load_settings
from router.store import get_engine
from router.store.models import Model

SESSION_START = "discover/session-start"
PICKUP_TIMEOUT = 30.0     # no worker took the run by then: poll from here instead
RUN_TIMEOUT = 600.0


def discover_via_server(providers: list[str] | None, if_stale: timedelta | None,
                        pickup_timeout: float = PICKUP_TIMEOUT,
                        run_timeout: float = RUN_TIMEOUT) -> dict[str, Any] | None:
    """The discovery report of a `discover/session-start` run, or None to poll locally.

    None when the server does not answer, the deployment does not exist, or no worker
    picks the run up in time (the run is then cancelled, so it cannot poll later).
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Cancelled

    names = [c.name for c in configured_providers(providers, load_settings())]
    started = datetime.now(UTC) - timedelta(seconds=2)
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(SESSION_START)
        except (ObjectNotFound, httpx.ConnectError, httpx.TimeoutException):
            return None  # not deployed, or the server is down: poll from here
        run = client.create_flow_run_from_deployment(deployment.id, parameters={
            "providers": providers or None,
            "if_stale_seconds": if_stale.total_seconds() if if_stale else None})
        begun = time.monotonic()
        while True:
            run = client.read_flow_run(run.id)
            state = run.state
            if state is not None and state.is_final():
                break
            waited = time.monotonic() - begun
            if state is not None and (state.is_scheduled() or state.is_pending()) \
                    and waited > pickup_timeout:
                client.set_flow_run_state(run.id, Cancelled(message="no worker took it"),
                                          force=True)
                return None
            if waited > run_timeout:
                raise ConfigError(f"{SESSION_START} run {run.name} did not finish in "
                                  f"{run_timeout:.0f} s; see it in the Prefect UI")
            time.sleep(0.5)
    if not state.is_completed():
        raise ConfigError(f"{SESSION_START} run {run.name} ended {state.type.value}: "
                          f"{state.message or 'see it in the Prefect UI'}")
    return report_since(started, names, if_stale).to_json()


def report_since(started: datetime, names: list[str], if_stale: timedelta | None,
                 database_url: str | None = None) -> DiscoveryReport:
    """The report of the polls stored since `started` (reused ones from `if_stale`)."""
    summaries: dict[str, ProviderSummary] = {}
    with Session(get_engine(database_url)) as session:
        latest = latest_snapshots(session, names, started)
        new_ids = {i for r in latest.values() for i in r.new_ids}
        chat = set(session.exec(select(Model.id).where(col(Model.id).in_(new_ids),
                                                        col(Model.can_chat)))) if new_ids else set()
    for name, snap in latest.items():
        summaries[name] = ProviderSummary(
            snap.status, len(snap.model_ids), snap.error, list(snap.new_ids),
            list(snap.removed_ids), list(snap.restored_ids),
            [i for i in snap.new_ids if i in chat], polled_at=snap.polled_at,
            duration_ms=snap.duration_ms)
    missing = [n for n in names if n not in summaries]
    if missing and if_stale:
        configs = configured_providers(missing, load_settings())
        summaries.update(fresh_summaries(configs, if_stale, database_url))
    polled = [s.polled_at for s in summaries.values() if s.polled_at]
    return DiscoveryReport(min(polled) if polled else started,
                           {n: summaries[n] for n in names if n in summaries})
