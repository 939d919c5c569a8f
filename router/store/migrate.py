"""Run Alembic migrations programmatically, once, under a lock.

The head revision is the highest numbered file in `migrations/versions/` (they are
numbered and linear), so checking whether a store is current needs no Alembic import.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NUMBERED = re.compile(r"^(\d{4})_\w+\.py$")


def head_revision() -> str:
    revisions = [
        m.group(1)
        for p in (MIGRATIONS_DIR / "versions").iterdir()
        if (m := _NUMBERED.match(p.name))
    ]
    return max(revisions)


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """Serialise migrations between processes sharing one store."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(727274)"))
            try:
                yield conn
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(727274)"))
                conn.commit()
        return
    db = engine.url.database
    if backend == "sqlite" and db and db != ":memory:":
        with open(f"{db}.migrate-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with engine.connect() as conn:
                yield conn
        return
    with engine.connect() as conn:
        yield conn


def ensure_schema(engine: Engine) -> None:
    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head:
            return
    with _migration_lock(engine) as conn:
        if current_revision(conn) == head:
            return
        conn.commit()
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
