"""Which providers exist and how each is configured: a table, not guesses.

Built-in providers come from the table below (keys and base URLs from the SDKs' own
environment variables); custom OpenAI-compatible endpoints come from routerx.toml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from router.config import load_file_config
from router.errors import UnknownNameError
from router.providers.keys import KeyRing
from router.settings import Settings


@dataclass(frozen=True)
class ProviderDef:
    wire: str                 # the adapter that speaks its wire format
    key_env: str | None       # None: the provider takes no key (Ollama)
    base_env: str | None
    default_base_url: str | None  # None: not configured until base_env is set
    alt_key_env: str | None = None


BUILTIN: dict[str, ProviderDef] = {
    "openai": ProviderDef("openai", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "anthropic": ProviderDef(
        "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com"
    ),
    "gemini": ProviderDef(
        "gemini", "GEMINI_API_KEY", "GEMINI_BASE_URL",
        "https://generativelanguage.googleapis.com", alt_key_env="GOOGLE_API_KEY",
    ),
    "groq": ProviderDef("openai", "GROQ_API_KEY", "GROQ_BASE_URL", "https://api.groq.com/openai/v1"),
    "cerebras": ProviderDef(
        "openai", "CEREBRAS_API_KEY", "CEREBRAS_BASE_URL", "https://api.cerebras.ai/v1"
    ),
    "nvidia": ProviderDef(
        "openai", "NVIDIA_API_KEY", "NVIDIA_BASE_URL", "https://integrate.api.nvidia.com/v1"
    ),
    "openrouter": ProviderDef(
        "openrouter", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1"
    ),
    "ollama": ProviderDef("ollama", None, "OLLAMA_HOST", None),
}


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


def _secret(settings: Settings, env: str | None) -> str | None:
    if env is None:
        return None
    field = env.lower()
    value = getattr(settings, field, None)
    if value is None:
        return None
    return value.get_secret_value() or None


def _builtin(name: str, d: ProviderDef, settings: Settings) -> ProviderConfig:
    base = getattr(settings, d.base_env.lower()) if d.base_env else None
    base_url = (base or d.default_base_url or "").rstrip("/") or None
    if d.key_env is None:
        skip = None if base_url else f"set {d.base_env} (e.g. http://127.0.0.1:11434) to poll it"
        return ProviderConfig(name, d.wire, base_url, None, None, skip_reason=skip)
    raw = _secret(settings, d.key_env)
    key_env = d.key_env
    if d.alt_key_env and not os.environ.get(d.key_env) and os.environ.get(d.alt_key_env):
        # The key came from the alternative variable: name that one in messages.
        raw, key_env = os.environ[d.alt_key_env], d.alt_key_env
    if raw is None:
        return ProviderConfig(name, d.wire, base_url, None, d.key_env,
                              skip_reason=f"no key: set {d.key_env}")
    return ProviderConfig(name, d.wire, base_url, KeyRing.from_env_value(raw, key_env), key_env)


def load_providers(settings: Settings) -> dict[str, ProviderConfig]:
    """Every provider routerx knows of, configured or with the reason it is skipped."""
    providers = {name: _builtin(name, d, settings) for name, d in BUILTIN.items()}
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
