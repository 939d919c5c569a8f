"""Monotonic version counters in `store_meta`, for cheap cache invalidation.

Why counters and not timestamps: every router process polls them (one indexed query
every refresh interval) and reloads its in-memory tables only when a number it has not
seen appears. A counter bumped inside the writer's own transaction is visible exactly
when the data it guards is, so a reader never sees a new version with old rows. Clocks
of different machines sharing one PostgreSQL store do not have to agree.

Whoever writes placements or fallback tables bumps `PLACEMENTS`; whoever changes a
model's status in the catalogue (discovery, retirement) bumps `CATALOG`; exploration
mode changes bump `EXPLORATION`; pinning or unpinning bumps `PINS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session

from router.store.models import StoreMeta
from router.store.types import utcnow

PLACEMENTS = "placements_version"
CATALOG = "catalog_version"
EXPLORATION = "exploration_version"
PINS = "pins_version"

ROUTING_KEYS: tuple[str, ...] = (PLACEMENTS, CATALOG, EXPLORATION, PINS)

_TABLE = StoreMeta.__table__  # type: ignore[attr-defined]


def bump_version(session: Session | Connection, key: str) -> int:
    """Add one to counter `key` (creating it at 1) in the caller's transaction.

    An upsert rather than read-then-write, so two processes bumping at once both count:
    the row lock (PostgreSQL) or the database lock (SQLite) serialises them.
    """
    dialect = session.get_bind().dialect.name if isinstance(session, Session) else (
        session.dialect.name
    )
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(_TABLE).values(key=key, value=1, updated_at=utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={"value": _TABLE.c.value + 1, "updated_at": stmt.excluded.updated_at},
    ).returning(_TABLE.c.value)
    return int(session.execute(stmt).scalar_one())


def read_versions(
    connection: Session | Connection, keys: Iterable[str] = ROUTING_KEYS
) -> dict[str, int]:
    """The current value of each counter; a counter never bumped reads as 0."""
    keys = tuple(keys)
    rows = connection.execute(
        select(_TABLE.c.key, _TABLE.c.value).where(_TABLE.c.key.in_(keys))
    ).all()
    found = {str(k): int(v) for k, v in rows}
    return {k: found.get(k, 0) for k in keys}
