"""The routing endpoint's settings, from `ROUTERX_PROXY_*` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from router.settings import from_environment


class ProxySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    max_tries: int = Field(
        default=3, ge=1, le=10, validation_alias="ROUTERX_PROXY_MAX_TRIES",
        description="models tried per request (the routed one, then its fallbacks) before "
        "the agent gets the error",
    )
    first_byte_timeout: float = Field(
        default=60.0, gt=0, validation_alias="ROUTERX_PROXY_FIRST_BYTE_TIMEOUT",
        description="seconds a streaming provider may take to send its first event before "
        "the next model is tried",
    )
    default_max_tokens: int = Field(
        default=8192, ge=1, validation_alias="ROUTERX_PROXY_DEFAULT_MAX_TOKENS",
        description="max_tokens sent to Anthropic (which requires one) when neither the "
        "agent nor the catalogue states one",
    )
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024, validation_alias="ROUTERX_PROXY_MAX_BODY_BYTES",
        description="largest chat request accepted (a long conversation with images)",
    )
    outcome_batch_ms: float = Field(
        default=50.0, gt=0, le=10_000, validation_alias="ROUTERX_PROXY_OUTCOME_BATCH_MS",
        description="proxied calls' outcomes are written together at most this often",
    )


def load_proxy_settings() -> ProxySettings:
    return from_environment(ProxySettings)
