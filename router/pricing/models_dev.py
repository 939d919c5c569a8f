"""models.dev's public `api.json`: the price and limit catalogue OpenCode itself uses.

Fetched when reachable, cached in the store (`PriceCatalog`) with its date, refetched
once the copy is a day old. When models.dev cannot be reached the cached copy is used
and the note says how old it is; with no copy at all its prices are unknown, never zero.
Only what routerx reads (name, cost, limit per model) is kept, in models.dev's own
format, so the cached copy parses exactly like a fresh one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from router.errors import ProviderError
from router.providers.http import RetryPolicy, request_json
from router.settings import Settings
from router.store import get_engine
from router.store.models import PriceCatalog

MAX_AGE = timedelta(days=1)



@dataclass(frozen=True)
class CatalogueCopy:
    """The catalogue in use (possibly empty) and a note on where it came from."""

    body: dict[str, Any]
    fetched_at: datetime | None
    note: str

    def model(self, provider_id: str, model_name: str) -> dict[str, Any] | None:
        entry = self.body.get(provider_id)
        return entry["models"].get(model_name) if entry else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def trim(body: Any) -> dict[str, Any]:
    """Keep name, cost and limit of every model; ValueError if it is not api.json's shape."""
    if not isinstance(body, dict):
        raise ValueError("not models.dev's api.json format (expected an object of providers)")
    kept: dict[str, Any] = {}
    for provider_id, provider in body.items():
        models = provider.get("models") if isinstance(provider, dict) else None
        if not isinstance(models, dict):
            continue
        out: dict[str, Any] = {}
        for model_id, m in models.items():
            if not isinstance(m, dict):
                continue
            entry: dict[str, Any] = {"id": str(m.get("id", model_id))}
            if isinstance(m.get("name"), str):
                entry["name"] = m["name"]
            for part, fields in (("cost", ("input", "output")), ("limit", ("context", "output"))):
                src = m.get(part)
                if isinstance(src, dict):
                    values = {f: _number(src.get(f)) for f in fields}
                    entry[part] = {f: v for f, v in values.items() if v is not None}
            out[str(model_id)] = entry
        kept[str(provider_id)] = {"id": str(provider.get("id", provider_id)), "models": out}
    if not kept:
        raise ValueError("not models.dev's api.json format (no provider lists `models`)")
    return kept


def age_text(delta: timedelta) -> str:
    seconds = max(0.0, delta.total_seconds())
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _cached(session: Session, source: str) -> PriceCatalog | None:
    return session.get(PriceCatalog, source)


def _store(database_url: str | None, source: str, body: dict[str, Any], now: datetime) -> None:
    with Session(get_engine(database_url)) as session:
        row = session.get(PriceCatalog, source)
        if row is None:
            row = PriceCatalog(source=source, fetched_at=now, body=body)
        else:
            row.fetched_at, row.body = now, body
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another process stored a fresh copy a moment ago
            session.rollback()


async def models_dev_catalogue(
    settings: Settings,
    client: httpx.AsyncClient | None,
    database_url: str | None = None,
    *,
    now: datetime | None = None,
    max_age: timedelta = MAX_AGE,
) -> CatalogueCopy:
    """The models.dev catalogue: the cached copy if young, else a fresh fetch, else the
    old copy. With `client=None` nothing is fetched (offline use of the cache)."""
    url = settings.models_dev_url.strip()
    if not url:
        return CatalogueCopy({}, None, "models.dev not used (ROUTERX_MODELS_DEV_URL is empty)")
    now = now or datetime.now(UTC)
    source = url[:200]
    with Session(get_engine(database_url)) as session:
        row = _cached(session, source)
        cached = (row.body, row.fetched_at) if row is not None else None
    if cached and now - cached[1] < max_age:
        return CatalogueCopy(cached[0], cached[1],
                             f"models.dev copy of {cached[1]:%Y-%m-%d %H:%M} UTC")
    if client is None:
        error = "not fetched (offline)"
    else:
        try:
            body = trim(await request_json(
                client, "models.dev", url, policy=RetryPolicy(attempts=2, max_seconds=20),
                timeout=settings.http_timeout,
            ))
        except (ProviderError, ValueError) as exc:
            error = str(exc)
        else:
            _store(database_url, source, body, now)
            return CatalogueCopy(body, now, f"models.dev fetched {now:%Y-%m-%d %H:%M} UTC")
    if cached:
        return CatalogueCopy(
            cached[0], cached[1],
            f"models.dev unreachable ({error}); using the copy fetched "
            f"{age_text(now - cached[1])} ago ({cached[1]:%Y-%m-%d %H:%M} UTC)",
        )
    return CatalogueCopy({}, None, f"models.dev unreachable ({error}) and no cached copy")
