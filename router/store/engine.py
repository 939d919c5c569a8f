"""Engines for the store, created once per URL and migrated on first use.

Why migrate on first use: a user who upgrades routerx and runs `routerx route` gets a
working schema without a separate step; the check is one indexed query and a directory
listing, so the hot path pays almost nothing once the schema is current.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Delete, Update, event
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

from router.errors import StoreError
from router.store.migrate import ensure_schema

_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def default_database_url() -> str:
    from router.settings import load_settings

    return load_settings().resolved_database_url


def create_store_engine(url: str) -> Engine:
    """A new engine for `url`, schema migrated. Prefer `get_engine`, which caches."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises several types here
        raise StoreError(
            f"ROUTERX_DATABASE_URL is not a database URL ({exc}); "
            "use e.g. sqlite:////path/routerx.db or postgresql+psycopg://user@host/db"
        ) from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError) as exc:
        raise StoreError(f"cannot create a database engine for {parsed!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        ensure_schema(engine)
    except OperationalError as exc:
        raise StoreError(
            f"store {parsed!r} is unreachable: {exc.orig}. "
            "Check ROUTERX_DATABASE_URL and that the database server is running."
        ) from None
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The cached, migrated engine for `url` (default: the configured store)."""
    url = url or default_database_url()
    engine = _ENGINES.get(url)
    if engine is None:
        with _LOCK:
            engine = _ENGINES.get(url)
            if engine is None:
                engine = create_store_engine(url)
                _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Forget cached engines (tests, and processes that fork)."""
    with _LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def rows_changed(session: Session, statement: Update | Delete) -> int:
    """How many rows an UPDATE or DELETE changed. Why a function: `Session.execute` is
    typed as returning a plain Result, which has no `rowcount`; the cursor result it
    returns for these statements does."""
    return cast("CursorResult[Any]", session.execute(statement)).rowcount
