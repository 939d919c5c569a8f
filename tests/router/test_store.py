from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlmodel import select

from router.errors import StoreError
from router.store import get_engine, session_scope
from router.store.migrate import current_revision, head_revision
from router.store.models import Model, ModelStatus


def test_migrates_on_first_use_and_round_trips_utc(database_url: str) -> None:
    engine = get_engine(database_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        tables = set(inspect(conn).get_table_names())
    assert {"model", "discovery_snapshot", "sample_result", "placement", "outcome"} <= tables

    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone_plus_two())
    with session_scope(database_url) as s:
        s.add(Model(id="ollama/qwen2.5-coder:7b", provider="ollama", name="qwen2.5-coder:7b",
                    first_seen=seen, last_seen=seen))
    with session_scope(database_url) as s:
        row = s.exec(select(Model)).one()
    assert row.id == "ollama/qwen2.5-coder:7b"
    assert row.status == ModelStatus.NEW
    assert row.first_seen.tzinfo is not None
    assert row.first_seen.utcoffset() == timedelta(0)
    assert row.first_seen == seen  # same instant, now expressed in UTC
    assert row.first_seen.hour == 1


def timezone_plus_two():  # noqa: ANN201 - tiny helper
    from datetime import timezone

    return timezone(timedelta(hours=2))


def test_naive_datetime_is_refused(database_url: str) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        with session_scope(database_url) as s:
            s.add(Model(id="a/b", provider="a", name="b", first_seen=datetime(2026, 1, 1)))


def test_sqlite_store_uses_wal(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    with get_engine(url).connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"


def test_default_store_lives_under_xdg_data_home(tmp_path) -> None:
    with session_scope() as s:
        s.add(Model(id="x/y", provider="x", name="y", first_seen=datetime.now(UTC)))
    assert (tmp_path / "xdg-data" / "routerx" / "routerx.db").is_file()


def test_unreachable_store_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="unreachable"):
        get_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_bad_url_names_the_variable() -> None:
    with pytest.raises(StoreError, match="ROUTERX_DATABASE_URL"):
        get_engine("not a url")
