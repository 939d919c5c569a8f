"""What a score measured, and which measurements may place a model.

A score is only comparable with another that measured the same thing: the same
benchmark and protocol version, the same task set (the hash of its sorted task ids,
and their count), the same samples per task and temperature. Placement uses one such
measurement per benchmark, the *placement protocol*: by default the whole suite, one
sample per task at temperature 0, the `routerx assess` defaults. A `--limit 3` smoke run
is stored and shown but never placed. routerx.toml can choose another protocol:

    [placement]
    limit = 40          # first 40 tasks of each benchmark (omit for the whole suite)
    samples = 1
    temperature = 0.0

Kept in `router/` (not `benchmarks/`) because the CLI, the report and the exports
describe scores with it and must not import the benchmark suites.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

TASK_SET_HASH_CHARS = 32


def task_set_hash(task_ids: Iterable[str]) -> str:
    """Order-free identity of a task set: equal sets of ids, equal hash."""
    joined = "\n".join(sorted(set(task_ids)))
    return hashlib.sha256(joined.encode()).hexdigest()[:TASK_SET_HASH_CHARS]


def task_scope(limit: int | None, task_ids: Iterable[str] | None, count: int,
               suite_size: int) -> str:
    """How a run's tasks were chosen: `all`, `first N` or `N chosen`."""
    if count >= suite_size:
        return "all"
    if task_ids:
        return f"{count} chosen"
    return f"first {count}" if limit is not None else "all"


@dataclass(frozen=True)
class PlacementProtocol:
    """Which measurement of each benchmark places models (see the module docstring)."""

    limit: int | None = None
    samples: int = 1
    temperature: float = 0.0

    @property
    def scope(self) -> str:
        return "all" if self.limit is None else f"first {self.limit}"

    def describe(self) -> str:
        tasks = "all tasks" if self.limit is None else f"the first {self.limit} tasks"
        return f"{tasks}, {self.samples} sample(s) per task, temperature {self.temperature:g}"

    def mismatch(self, *, scope: str, task_count: int, samples: int, temperature: float,
                 protocol_version: str, current_version: str | None) -> str | None:
        """Why a measurement is not of this protocol (None: it is).

        `current_version` is the benchmark's protocol version in this routerx; None when
        the benchmark is unknown here, which makes nothing of it placeable.
        """
        if current_version is None:
            return "benchmark unknown to this routerx"
        if protocol_version != current_version:
            return f"protocol {protocol_version}; the current one is {current_version}"
        scope_ok = scope == self.scope or (
            scope == "all" and self.limit is not None and task_count <= self.limit)
        if not scope_ok:
            return (f"smoke or partial run ({scope}: {task_count} task(s)); placements use "
                    f"{self.describe()}")
        if samples != self.samples:
            return f"{samples} sample(s) per task; placements use {self.samples}"
        if temperature != self.temperature:
            return f"temperature {temperature:g}; placements use {self.temperature:g}"
        return None


def load_placement_protocol() -> PlacementProtocol:
    """The placement protocol of routerx.toml's `[placement]`, or the defaults."""
    from router.config_file import load_file_config
    from router.providers.catalog import BUILTIN
    from router.settings import load_settings

    section = load_file_config(load_settings().resolved_config_file,
                               frozenset(BUILTIN)).placement
    return PlacementProtocol(section.limit, section.samples, section.temperature)
