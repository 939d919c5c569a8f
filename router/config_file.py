"""routerx.toml: further OpenAI-compatible endpoints (vLLM, LM Studio, llama.cpp server).

Example::

    [providers.vllm]
    base_url = "http://127.0.0.1:8000/v1"   # includes /v1, like OPENAI_BASE_URL
    api_key_env = "VLLM_API_KEY"            # optional: the variable that holds its key
    max_concurrency = 4                     # optional

    [prices."openai/gpt-5.2"]               # USD per million tokens; beats every other source
    input = 1.25
    output = 10.0

    [prices."ollama/*"]                     # every model of a provider (a local one: free)
    input = 0
    output = 0

    [placement]                             # which measurement places models
    limit = 40                              # first 40 tasks per benchmark (default: all)
    samples = 1
    temperature = 0.0

Keys never live in this file: it names the environment variable that holds them.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from router.errors import ConfigError
from router.ids import is_model_id

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class EndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str
    api_key_env: str | None = None
    max_concurrency: Annotated[int, Field(ge=1, le=256)] | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL such as http://127.0.0.1:8000/v1")
        return value.rstrip("/")

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", value):
            raise ValueError(
                "must be the NAME of an environment variable (e.g. VLLM_API_KEY), never the key"
            )
        return value


class PriceOverride(BaseModel):
    """A user's own price for a model, in USD per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: Annotated[float, Field(ge=0)]
    output: Annotated[float, Field(ge=0)]


class PlacementConfig(BaseModel):
    """The placement protocol (router.measurement): smoke runs never place a model."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=100_000)] | None = None
    samples: Annotated[int, Field(ge=1, le=200)] = 1
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0


_PRICE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*/\S+$")


class FileConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    providers: dict[str, EndpointConfig] = Field(default_factory=dict)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    placement: PlacementConfig = Field(default_factory=PlacementConfig)


_ALLOWED = {
    "providers": "providers.<name>.{base_url, api_key_env, max_concurrency}",
    "prices": 'prices."<provider/model>".{input, output}',
    "placement": "placement.{limit, samples, temperature}",
}


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "placement":
        return f"[placement] {'.'.join(parts[1:])}"
    if len(parts) >= 2 and parts[0] in _ALLOWED:
        name = parts[1] if parts[0] == "providers" else f'"{parts[1]}"'
        head = f"[{parts[0]}.{name}]"
        return f"{head}.{'.'.join(parts[2:])}" if parts[2:] else head
    return ".".join(parts) or "(top level)"


def _read_toml(path: Path) -> dict[str, Any]:
    """The parsed file, or one ConfigError naming it: missing, unreadable, not UTF-8 (TOML
    is UTF-8 by definition), not TOML, or nested deeper than the parser recurses."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (ROUTERX_CONFIG points at it)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                          f"{exc.start}); TOML files are UTF-8, save it as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too "
                          "deeply") from None


def load_file_config(path: Path | None, builtin_names: frozenset[str] = frozenset()) -> FileConfig:
    """Read and validate routerx.toml; every error names the file, the key and the fix."""
    if path is None:
        return FileConfig()
    data = _read_toml(path)
    try:
        config = FileConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _location(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            section = str(err["loc"][0]) if len(err["loc"]) > 1 else ""
            allowed = _ALLOWED.get(section) or "; ".join(_ALLOWED.values())
            msg = f"unknown key; allowed: {allowed}"
        raise ConfigError(f"{path}: {where}: {msg}") from None
    for name in config.providers:
        if not _NAME.match(name):
            raise ConfigError(
                f"{path}: [providers.{json.dumps(name)}]: provider names are lowercase "
                "letters, digits, - and _"
            )
        if name in builtin_names:
            raise ConfigError(
                f"{path}: [providers.{name}]: {name!r} is a built-in provider; "
                "set its base URL through its environment variable or choose another name"
            )
    for key in config.prices:
        if not _PRICE_KEY.match(key) or not is_model_id(key):
            raise ConfigError(
                f'{path}: [prices.{json.dumps(key)}]: the key must be a model id provider/model '
                '(e.g. "openai/gpt-5.2") or provider/* for every model of a provider'
            )
    return config
