"""The store: SQLModel tables, engines, migrations."""

from router.store.engine import dispose_engines, get_engine, rows_changed, session_scope

__all__ = ["dispose_engines", "get_engine", "rows_changed", "session_scope"]
