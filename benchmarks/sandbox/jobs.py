"""What the sandbox is asked to run and what it answers.

A sample's failure is always a value here (a ``Verdict`` or ``CommandResult``), never
an exception: the evaluation of a batch must carry on whatever one sample does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: every status a Verdict can carry
VERDICT_STATUSES = ("passed", "failed", "error", "timeout", "out_of_memory", "crashed")
#: every status a CommandResult can carry
COMMAND_STATUSES = ("ok", "timeout", "crashed", "out_of_memory")
def _check_limits(kind: str, timeout_s: float, memory_mb: int | None) -> None:
    """A caller's mistake (not a sample's) is an error at construction."""
    if not (isinstance(timeout_s, int | float) and math.isfinite(timeout_s) and timeout_s > 0):
        raise ValueError(f"{kind}.timeout_s must be a positive number of seconds, "
                         f"got {timeout_s!r}")
    if memory_mb is not None and (not isinstance(memory_mb, int) or memory_mb < 16):
        raise ValueError(f"{kind}.memory_mb must be an integer >= 16 (or None for the "
                         f"default), got {memory_mb!r}")


@dataclass(frozen=True)
class Job:
    """A Python program to run, e.g. prompt + completion + tests + ``check(entry_point)``.

    ``memory_mb`` None means the sandbox's default address-space limit.
    """

    program: str
    timeout_s: float = 10.0
    memory_mb: int | None = None

    def __post_init__(self) -> None:
        _check_limits(type(self).__name__, self.timeout_s, self.memory_mb)


@dataclass(frozen=True)
class Verdict:
    """How one program ended.

    ``passed``: ran to completion; ``failed``: an AssertionError escaped; ``error``: any
    other exception (also SyntaxError and SystemExit), type and message in ``detail``;
    ``timeout``: wall clock or CPU limit exceeded; ``out_of_memory``: MemoryError or the
    address-space limit; ``crashed``: killed by a signal or ended abnormally.
    ``stdout`` holds stdout and stderr interleaved, capped.
    """

    status: str
    detail: str | None
    duration_s: float
    stdout: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class CommandJob:
    """A command (SWE-bench tests, ``git apply``) run with ``workdir`` as its only
    writable tree; ``readonly_paths`` (a prepared virtualenv, patch files) are visible
    at the same paths, read-only. ``env`` is added to a minimal environment.
    ``memory_mb`` None means 4096 (test suites import a lot)."""

    argv: Sequence[str]
    workdir: Path
    readonly_paths: Sequence[Path] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: float = 300
    memory_mb: int | None = None

    def __post_init__(self) -> None:
        _check_limits(type(self).__name__, self.timeout_s, self.memory_mb)


@dataclass(frozen=True)
class CommandResult:
    """How a command ended: ``ok`` (it exited by itself; see ``returncode``),
    ``timeout``, ``crashed`` (killed by a signal) or ``out_of_memory``.
    ``output`` holds stdout and stderr interleaved, capped."""

    status: str
    returncode: int | None
    output: str
    duration_s: float
