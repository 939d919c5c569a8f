"""What the sandbox is asked to run and what it answers.

A sample's failure is always a value here (a ``Verdict`` or ``CommandResult``), never
an exception: the evaluation of a batch must carry on whatever one sample does.
"""

from __future__ import annotations

import builtins
import functools
import math
import symtable
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: every status a Verdict can carry (names from benchmarks.verdicts; ``sandbox`` is the
#: sandbox's own failure, never the model's)
VERDICT_STATUSES = ("passed", "failed", "error", "timeout", "out_of_memory", "crashed",
                    "sandbox")
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
    """A sample to judge: ``program`` is the candidate's code (e.g. prompt +
    completion), run sandboxed; ``test`` is the judge's code (HumanEval's test and
    ``check(entry_point)``, MBPP's set-up and asserts), run in the judge process and
    never in the candidate; ``context`` is trusted code the judge runs before it (the
    prompt: its imports and helper functions). The test reaches the candidate through
    the names it uses that it does not define itself (``names()``: the entry point,
    MBPP's classes...), and sees only plain data come back (``benchmarks.sandbox.
    values``).

    Without ``test`` the program is its own test: ``passed`` then says only that it
    ran to its end, which the program itself could claim. That is for programs judged
    against nothing (containment checks, tools); every scored suite gives a ``test``.
    ``memory_mb`` None means the sandbox's default address-space limit.
    """

    program: str
    timeout_s: float = 10.0
    memory_mb: int | None = None
    test: str | None = None
    context: str = ""
    entry_point: str | None = None

    def __post_init__(self) -> None:
        _check_limits(type(self).__name__, self.timeout_s, self.memory_mb)

    def names(self) -> list[str]:
        """What the judge asks the candidate for: the entry point, then every name the
        context and test use without binding it that is not a builtin."""
        if self.test is None:
            return []
        return list(test_names(self.context, self.test, self.entry_point))


@functools.lru_cache(maxsize=1024)
def test_names(context: str, test: str, entry_point: str | None) -> tuple[str, ...]:
    """See ``Job.names``. A builtin's name is the judge's own builtin (a program that
    defines ``abs`` must not decide the test's ``abs``), except for the entry point,
    which is always the candidate's (MBPP has a task whose function is ``sum``)."""
    used: set[str] = set()
    bound: set[str] = set()
    for code in (context, test):
        try:
            table = symtable.symtable(code, "<test>", "exec")
        except (SyntaxError, ValueError):
            continue  # the judge reports the syntax error when it runs the test
        _global_names(table, used, bound)
    free = sorted(used - bound - _BUILTINS)
    first = [entry_point] if entry_point else []
    return tuple(first + [name for name in free if name != entry_point])


_BUILTINS = frozenset(dir(builtins))


def _global_names(table: symtable.SymbolTable, used: set[str], bound: set[str]) -> None:
    module = table.get_type() == "module"
    for symbol in table.get_symbols():
        if module and (symbol.is_assigned() or symbol.is_imported()):
            bound.add(symbol.get_name())
        if symbol.is_referenced() and (module or symbol.is_global()):
            used.add(symbol.get_name())
    for inner in table.get_children():
        _global_names(inner, used, bound)


@dataclass(frozen=True)
class Verdict:
    """How one sample was judged.

    ``passed``: the judge ran the whole test, every call answered; ``failed``: an
    AssertionError escaped the test (or the program); ``error``: any other exception
    (also SyntaxError and SystemExit), type and message in ``detail``; ``timeout``: wall
    clock or CPU limit exceeded; ``out_of_memory``: MemoryError, or a SIGKILL the
    sandbox did not send; ``crashed``: the candidate stopped answering (it exited, was
    killed by a signal, closed or garbled its channel); ``sandbox``: the sandbox
    itself failed (not the model's doing; never scored). ``stdout`` holds the
    candidate's stdout and stderr interleaved, capped.
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
