"""Running suite jobs in the sandbox and turning verdicts into results.

The one place that speaks the sandbox's API (``benchmarks.sandbox``), so the suites
and the reference-runtime measurement share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from benchmarks.registry import OnResult, SampleResult

if TYPE_CHECKING:
    from benchmarks.sandbox.jobs import Job, Verdict
    from benchmarks.sandbox.runner import SandboxRunner


def to_result(verdict: Verdict) -> SampleResult:
    return SampleResult(
        status=str(verdict.status),
        passed=bool(verdict.passed),
        detail=str(verdict.detail or ""),
        duration_s=getattr(verdict, "duration_s", None),
    )


def run_jobs(
    sandbox: SandboxRunner,
    jobs: Sequence[Job],
    on_result: OnResult | None = None,
) -> list[SampleResult]:
    """One SampleResult per ``benchmarks.sandbox.Job``, in order; ``on_result(i,
    result)`` as each ends."""
    callback = None
    if on_result is not None:

        def callback(index: int, verdict: Verdict) -> None:
            on_result(index, to_result(verdict))

    verdicts = sandbox.run(jobs, on_result=callback)
    return [to_result(v) for v in verdicts]
