"""Process-wide settings read from the environment (pydantic-settings).

Why pydantic-settings: every value has one name, one type and one validation error
message; keys are `SecretStr`, so a settings object printed into a log or a traceback
shows `**********` instead of the key.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from router.errors import ConfigError


def xdg_data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def xdg_config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


class Settings(BaseSettings):
    """What routerx reads from the environment. The providers' key and base-URL variables
    are read by a settings class derived from their rows
    (`router.providers.catalog.provider_variables`)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="ROUTERX_DATABASE_URL",
        description="the store: any SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
        "(default: SQLite in WAL mode at $XDG_DATA_HOME/routerx/routerx.db)")
    config_file: Path | None = Field(default=None, validation_alias="ROUTERX_CONFIG",
        description="the routerx.toml to read (default: ./routerx.toml, else "
        "$XDG_CONFIG_HOME/routerx/routerx.toml)")
    http_timeout: float = Field(default=20.0, gt=0, validation_alias="ROUTERX_HTTP_TIMEOUT",
        description="seconds per request to a provider's model list")
    http_retries: int = Field(default=4, ge=0, le=10, validation_alias="ROUTERX_HTTP_RETRIES",
        description="retries of a failed provider request (429 and 5xx; Retry-After honoured)")
    http_retry_max_seconds: float = Field(
        default=60.0, gt=0, validation_alias="ROUTERX_HTTP_RETRY_MAX_SECONDS",
        description="longest wait between two retries"
    )
    api_token: SecretStr | None = Field(default=None, validation_alias="ROUTERX_API_TOKEN",
        description="bearer token the HTTP API requires (routerx serve refuses other "
        "addresses than loopback without one)")
    api_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=1024**3, validation_alias="ROUTERX_API_MAX_BODY_BYTES",
        description="largest request body the HTTP API accepts (a batch of outcomes)"
    )
    completion_timeout: float = Field(
        default=180.0, gt=0, validation_alias="ROUTERX_COMPLETION_TIMEOUT",
        description="seconds an assessment waits for one completion"
    )
    max_concurrency: int = Field(
        default=4, ge=1, le=256, validation_alias="ROUTERX_MAX_CONCURRENCY",
        description="completions in flight per provider during an assessment"
    )
    provider_concurrency: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=dict, validation_alias="ROUTERX_PROVIDER_CONCURRENCY",
        description="per-provider limits overriding ROUTERX_MAX_CONCURRENCY, e.g. openai=8,ollama=1"
    )
    models_dev_url: str = Field(
        default="https://models.dev/api.json", validation_alias="ROUTERX_MODELS_DEV_URL",
        description="the models.dev catalogue of prices and limits (empty: none, prices only from "
        "routerx.toml and the providers)"
    )

    @field_validator("provider_concurrency", mode="before")
    @classmethod
    def _per_provider(cls, value: Any) -> Any:
        """`openai=8,ollama=1`: one limit per provider, overriding ROUTERX_MAX_CONCURRENCY."""
        if not isinstance(value, str):
            return value
        limits: dict[str, int] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            match = re.fullmatch(r"([a-z0-9][a-z0-9_-]*)\s*=\s*(\d+)", item)
            if not match or not 1 <= int(match.group(2)) <= 256:
                raise ValueError(
                    f"{item!r} is not provider=N with N in 1..256; write e.g. openai=8,ollama=1"
                )
            limits[match.group(1)] = int(match.group(2))
        return limits

    @cached_property
    def data_dir(self) -> Path:
        return xdg_data_home() / "routerx"

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'routerx.db'}"

    @cached_property
    def resolved_config_file(self) -> Path | None:
        """The routerx.toml in use: $ROUTERX_CONFIG, ./routerx.toml, or the XDG one."""
        if self.config_file is not None:
            return self.config_file
        user_file = xdg_config_home() / "routerx" / "routerx.toml"
        for candidate in (Path.cwd() / "routerx.toml", user_file):
            if candidate.is_file():
                return candidate
        return None


_S = TypeVar("_S", bound=BaseSettings)


def load_settings() -> Settings:
    """Read the environment, turning pydantic's errors into one actionable line."""
    return from_environment(Settings)


def from_environment(cls: type[_S]) -> _S:
    """Any settings class read from the environment; a bad value is one ConfigError line
    naming the variable."""
    try:
        return cls()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first.get("loc", ("?",))[0]
        raise ConfigError(
            f"environment variable {name}: {first.get('msg')} (got {first.get('input')!r})"
        ) from None
