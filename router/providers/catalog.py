"""Which providers exist and how each is configured: a table, not guesses.

Every built-in provider is one row of `BUILTIN`: its wire format, the variables of its
key and base URL (the SDKs' own names), its default base URL, its id in the models.dev
catalogue and in OpenCode. Settings (`provider_variables`), discovery, pricing and the
OpenCode export are derived from the row, so adding an OpenAI-compatible provider is
one entry. Custom OpenAI-compatible endpoints come from routerx.toml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import Field, SecretStr, create_model
from pydantic_settings import BaseSettings

from router.config_file import load_file_config
from router.errors import UnknownNameError
from router.providers.keys import KeyRing
from router.settings import Settings, from_environment


@dataclass(frozen=True)
class ProviderSpec:
    """One built-in provider, all routerx knows of it."""

    wire: str                      # the adapter that speaks its wire format
    key_env: str | None            # None: the provider takes no key (Ollama)
    base_env: str | None
    default_base_url: str | None   # None: not configured until base_env is set
    alt_key_env: str | None = None  # read when key_env is unset (GOOGLE_API_KEY)
    models_dev: str | None = None  # its id in the models.dev catalogue; None: not there
    opencode: str | None = None    # OpenCode's id when OpenCode knows it (a hosted one);
    #                                None: OpenCode needs its base URL written out

    @property
    def hosted(self) -> bool:
        return self.opencode is not None


BUILTIN: dict[str, ProviderSpec] = {
    "openai": ProviderSpec("openai", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                           "https://api.openai.com/v1", models_dev="openai", opencode="openai"),
    "anthropic": ProviderSpec("anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                              "https://api.anthropic.com", models_dev="anthropic",
                              opencode="anthropic"),
    "gemini": ProviderSpec("gemini", "GEMINI_API_KEY", "GEMINI_BASE_URL",
                           "https://generativelanguage.googleapis.com",
                           alt_key_env="GOOGLE_API_KEY", models_dev="google", opencode="google"),
    "groq": ProviderSpec("openai", "GROQ_API_KEY", "GROQ_BASE_URL",
                         "https://api.groq.com/openai/v1", models_dev="groq", opencode="groq"),
    "cerebras": ProviderSpec("openai", "CEREBRAS_API_KEY", "CEREBRAS_BASE_URL",
                             "https://api.cerebras.ai/v1", models_dev="cerebras",
                             opencode="cerebras"),
    "nvidia": ProviderSpec("openai", "NVIDIA_API_KEY", "NVIDIA_BASE_URL",
                           "https://integrate.api.nvidia.com/v1", models_dev="nvidia",
                           opencode="nvidia"),
    "openrouter": ProviderSpec("openrouter", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL",
                               "https://openrouter.ai/api/v1", models_dev="openrouter",
                               opencode="openrouter"),
    "ollama": ProviderSpec("ollama", None, "OLLAMA_HOST", None),
}


def models_dev_id(provider: str) -> str | None:
    """The provider's id in the models.dev catalogue; None: not there (ollama, custom)."""
    spec = BUILTIN.get(provider)
    return spec.models_dev if spec else None


def opencode_provider_id(provider: str) -> str:
    """The provider's id in an OpenCode config (`google` for gemini)."""
    spec = BUILTIN.get(provider)
    return spec.opencode if spec and spec.opencode else provider


def is_hosted(provider: str) -> bool:
    """OpenCode knows the provider already: no base URL to write for it."""
    spec = BUILTIN.get(provider)
    return spec is not None and spec.hosted


def _variable_names(specs: tuple[tuple[str, ProviderSpec], ...]) -> dict[str, tuple[str, bool]]:
    """variable -> (settings field, holds a secret), for every row."""
    out: dict[str, tuple[str, bool]] = {}
    for _, spec in specs:
        for env in (spec.key_env, spec.alt_key_env):
            if env:
                out[env] = (env.lower(), True)
        if spec.base_env:
            out[spec.base_env] = (spec.base_env.lower(), False)
    return out


def provider_environment() -> list[tuple[str, bool]]:
    """(variable, holds a secret) of every row: the keys and base URLs routerx reads."""
    return [(env, secret) for env, (_, secret) in
            _variable_names(tuple(BUILTIN.items())).items()]


@lru_cache(maxsize=8)
def _variables_model(specs: tuple[tuple[str, ProviderSpec], ...]) -> type[BaseSettings]:
    fields: dict[str, Any] = {
        field: (SecretStr | None if secret else str | None,
                Field(default=None, validation_alias=env))
        for env, (field, secret) in _variable_names(specs).items()}
    return create_model("ProviderVariables", __base__=BaseSettings, **fields)


def provider_variables() -> BaseSettings:
    """The key and base-URL variables of every row, read from the environment (keys as
    SecretStr); the settings class is derived from `BUILTIN`."""
    return from_environment(_variables_model(tuple(BUILTIN.items())))


@dataclass(frozen=True)
class ProviderConfig:
    """One provider as configured right now. `skip_reason` set means: do not poll."""

    name: str
    wire: str
    base_url: str | None
    keys: KeyRing | None
    key_env: str | None
    max_concurrency: int | None = None
    skip_reason: str | None = None

    @property
    def configured(self) -> bool:
        return self.skip_reason is None


def _secret(variables: BaseSettings, env: str | None) -> str | None:
    if env is None:
        return None
    value = getattr(variables, env.lower(), None)
    if value is None:
        return None
    secret: str = value.get_secret_value()
    return secret or None


def _builtin(name: str, d: ProviderSpec, variables: BaseSettings) -> ProviderConfig:
    base = getattr(variables, d.base_env.lower()) if d.base_env else None
    base_url = (base or d.default_base_url or "").rstrip("/") or None
    if d.key_env is None:
        skip = None if base_url else f"set {d.base_env} (e.g. http://127.0.0.1:11434) to poll it"
        return ProviderConfig(name, d.wire, base_url, None, None, skip_reason=skip)
    raw, key_env = _secret(variables, d.key_env), d.key_env
    if raw is None and d.alt_key_env:
        # The key comes from the alternative variable: name that one in messages.
        raw, key_env = _secret(variables, d.alt_key_env), d.alt_key_env
    if raw is None:
        return ProviderConfig(name, d.wire, base_url, None, d.key_env,
                              skip_reason=f"no key: set {d.key_env}")
    return ProviderConfig(name, d.wire, base_url, KeyRing.from_env_value(raw, key_env), key_env)


def load_providers(settings: Settings) -> dict[str, ProviderConfig]:
    """Every provider routerx knows of, configured or with the reason it is skipped."""
    variables = provider_variables()
    providers = {name: _builtin(name, d, variables) for name, d in BUILTIN.items()}
    file_config = load_file_config(settings.resolved_config_file, frozenset(BUILTIN))
    for name, ep in file_config.providers.items():
        keys = None
        skip = None
        if ep.api_key_env:
            raw = os.environ.get(ep.api_key_env)
            if raw:
                keys = KeyRing.from_env_value(raw, ep.api_key_env)
            else:
                skip = f"no key: set {ep.api_key_env}"
        providers[name] = ProviderConfig(
            name, "openai", ep.base_url, keys, ep.api_key_env, ep.max_concurrency, skip
        )
    return providers


def select_providers(
    providers: dict[str, ProviderConfig], names: list[str] | None
) -> list[ProviderConfig]:
    if not names:
        return list(providers.values())
    unknown = [n for n in names if n not in providers]
    if unknown:
        raise UnknownNameError("provider", unknown[0], providers)
    return [providers[n] for n in names]
