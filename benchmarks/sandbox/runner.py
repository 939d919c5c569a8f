"""The sandbox as the benchmarks see it: judge jobs, run commands.

Why a protocol (compare inspect_ai's `SandboxEnvironment`): suites, the assessment and
the CLI were typed `sandbox: Any`, so nothing stopped a caller from reaching into the
process pool, and nothing told a reader what a sandbox must do. `Sandbox` (the pool in
`benchmarks.sandbox.pool`) is the implementation; anything with these two methods can
stand in for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from benchmarks.sandbox.jobs import CommandJob, CommandResult, Job, Verdict
    from benchmarks.sandbox.pool import OnVerdict


class SandboxRunner(Protocol):
    def run(self, jobs: Sequence[Job], on_result: OnVerdict | None = None) -> list[Verdict]:
        """One verdict per job, in order; ``on_result(i, verdict)`` as each ends. A
        job's failure is a verdict, never an exception."""
        ...

    def run_command(self, job: CommandJob) -> CommandResult:
        """A command (a SWE-bench test run) in a sandbox of its own."""
        ...


if TYPE_CHECKING:
    from benchmarks.sandbox.pool import Sandbox

    _THE_POOL_IS_ONE: type[SandboxRunner] = Sandbox  # mypy checks it; nothing at run time
