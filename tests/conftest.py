"""Shared fixtures.

`_isolate` is autouse: every test starts with no provider key, no base URL and no
routerx setting from the developer's shell, and with XDG/Prefect paths inside its own
temporary directory, so a test can never poll a real provider or touch a real store.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# ../shared/data beside the checkout, or wherever ROUTERX_SHARED_DATA points.
SHARED_DATA = Path(os.environ.get("ROUTERX_SHARED_DATA")
                   or Path(__file__).resolve().parents[1].parent / "shared" / "data")
POSTGRES_URL = os.environ.get(
    "ROUTERX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

# Before anything imports Prefect: no telemetry from tests (they talk to loopback only),
# and a patient start-up for Prefect's temporary server on a busy machine.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

_PYTEST_PID = os.getpid()


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    """SIGTERM (a CI timeout, `kill`) stops the run as Ctrl-C does, so fixtures and
    `finally` blocks stop every server the tests started instead of leaving them."""
    if os.getpid() != _PYTEST_PID:  # a child forked from pytest: die as SIGTERM would
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _terminate_as_interrupt)

_ISOLATED_PREFIXES = ("ROUTERX_", "OPENAI_", "ANTHROPIC_", "GEMINI_", "GOOGLE_", "GROQ_",
                      "CEREBRAS_", "NVIDIA_", "OPENROUTER_", "OLLAMA_", "HF_", "XDG_")


# A test using one of these starts (or shares) a Prefect server: slow, whatever else it does.
_SLOW_FIXTURES = frozenset({"prefect_server", "prefect_harness"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(_ISOLATED_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # Tests never fetch the real models.dev catalogue; a test that needs one serves it
    # on 127.0.0.1 and sets this variable.
    monkeypatch.setenv("ROUTERX_MODELS_DEV_URL", "")
    monkeypatch.chdir(tmp_path)
    yield
    from router.store import dispose_engines

    dispose_engines()


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test cleanly when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


def _postgres_url_with_schema(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A store URL on an empty schema of the machine's PostgreSQL, dropped afterwards."""
    import sqlalchemy

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not reachable ({exc.orig}); start it")
    try:
        yield _postgres_url_with_schema(schema)
    finally:
        from router.store import dispose_engines

        dispose_engines()
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store on SQLite and on the machine's PostgreSQL (own schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    with postgres_schema() as url:
        yield url
