from __future__ import annotations

import pytest

from router.errors import ConfigError
from router.settings import load_settings


def test_only_the_documented_variables_are_read(monkeypatch) -> None:
    # A generic DATABASE_URL or HTTP_TIMEOUT in the shell belongs to something else.
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    monkeypatch.setenv("HTTP_TIMEOUT", "1")
    settings = load_settings()
    assert settings.database_url is None and settings.http_timeout == 20.0
    monkeypatch.setenv("ROUTERX_DATABASE_URL", "sqlite:////tmp/x.db")
    assert load_settings().database_url == "sqlite:////tmp/x.db"


def test_bad_value_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("ROUTERX_HTTP_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="ROUTERX_HTTP_TIMEOUT"):
        load_settings()


def test_keys_are_not_shown_in_repr(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-REPR-SECRET")
    assert "REPR-SECRET" not in repr(load_settings())
