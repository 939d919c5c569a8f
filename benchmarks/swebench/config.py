"""SWE-bench settings, read from the environment (pydantic-settings, like router.settings).

Kept beside the suite rather than in ``router.settings``: only this suite reads them,
and ``routerx route`` should not pay for validating them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from benchmarks.swebench.environment import RepoSpec
from benchmarks.swebench.instances import LITE
from router.errors import ConfigError

GITHUB_URL = "https://github.com/{repo}.git"


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class SWEBenchSettings(BaseSettings):
    """Every ``ROUTERX_SWEBENCH_*`` variable, with its meaning."""

    # no populate_by_name: it would also read a field from a variable named like the
    # field itself, and ``path`` would then come from $PATH
    model_config = SettingsConfigDict(extra="ignore", use_attribute_docstrings=True)

    path: Path | None = Field(default=None, validation_alias="ROUTERX_SWEBENCH_PATH")
    """A local .json/.jsonl(.gz) file of instances (else the hub dataset)."""
    dataset: str = Field(default=LITE, validation_alias="ROUTERX_SWEBENCH_DATASET")
    """The hub dataset of instances (when no local file is given)."""
    mirror: Path | None = Field(default=None, validation_alias="ROUTERX_SWEBENCH_MIRROR")
    """A directory of git repositories named owner__name (bare or normal)."""
    clone: bool = Field(default=False, validation_alias="ROUTERX_SWEBENCH_CLONE")
    """Clone repositories the mirror lacks (needs network)."""
    clone_url: str = Field(default=GITHUB_URL, validation_alias="ROUTERX_SWEBENCH_CLONE_URL")
    """Where a repository missing from the mirror is cloned from ({repo}: owner/name)."""
    cache_dir: Path | None = Field(default=None, validation_alias="ROUTERX_SWEBENCH_CACHE")
    """Environments and clones (default: $XDG_CACHE_HOME/routerx/swebench)."""
    executor: Literal["auto", "docker", "local"] = Field(
        default="auto", validation_alias="ROUTERX_SWEBENCH_EXECUTOR")
    """auto: the official harness where a Docker engine answers, else the local executor."""
    timeout_s: float = Field(default=1800.0, gt=0, validation_alias="ROUTERX_SWEBENCH_TIMEOUT")
    """Seconds one instance's test run may take."""
    specs_file: Path | None = Field(default=None, validation_alias="ROUTERX_SWEBENCH_SPECS")
    """JSON {repo: recipe} for repositories the swebench package has no recipe for."""
    workers: int = Field(default=1, ge=1, le=64, validation_alias="ROUTERX_SWEBENCH_WORKERS")
    """Instances judged at once (local executor), harness --max_workers (Docker)."""
    date_cutoff: bool = Field(default=True, validation_alias="ROUTERX_SWEBENCH_DATE_CUTOFF")
    """Resolve a recipe's floating dependencies as of its environment commit's date."""

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or _cache_home() / "routerx" / "swebench"

    def specs(self) -> dict[str, RepoSpec]:
        return load_specs(self.specs_file) if self.specs_file else {}


def load_settings() -> SWEBenchSettings:
    try:
        return SWEBenchSettings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = first.get("loc", ("?",))[0]
        raise ConfigError(f"{name}: {first.get('msg')}") from exc


_SPEC_FIELDS = set(RepoSpec.__dataclass_fields__)


def load_specs(path: Path) -> dict[str, RepoSpec]:
    """Recipes from a JSON object ``{"owner/name": {"test_cmd": ..., ...}}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read SWE-bench recipes {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object of repo -> recipe")
    specs = {}
    for repo, raw in data.items():
        if not isinstance(raw, dict) or "test_cmd" not in raw:
            raise ConfigError(f"{path}: recipe for {repo!r} must be an object with test_cmd")
        unknown = set(raw) - _SPEC_FIELDS
        if unknown:
            raise ConfigError(f"{path}: recipe for {repo!r} has unknown keys "
                              f"{', '.join(sorted(unknown))}; known: "
                              f"{', '.join(sorted(_SPEC_FIELDS))}")
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                  for k, v in raw.items()}
        specs[repo] = RepoSpec(**fields)
    return specs
