"""SWE-bench as a registered benchmark (``swebench``: Lite; ``swebench-verified``;
``swebench-multifile``: the Verified instances whose reference patch touches two or more
files, which measure the ``multi-file`` category).

Sources of instances, in order: the ``data`` argument, ``ROUTERX_SWEBENCH_PATH``, then
the hub dataset (``datasets``, optional). Predictions are SWE-bench's own format,
``{"instance_id", "model_patch"}``; judging is ``evaluation.evaluate_predictions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.registry import Message, OnResult, Sample, SampleResult, register
from benchmarks.swebench.config import SWEBenchSettings, load_settings
from benchmarks.swebench.instances import (
    LITE,
    VERIFIED,
    Instance,
    from_hub,
    read_instances,
    touching_at_least,
)
from benchmarks.swebench.instances import select as select_instances
from benchmarks.swebench.prompt import PROTOCOL_VERSION, extract_patch, oracle_messages

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner


@register("swebench", name="swebench", dataset=LITE, weights={"bug-fix": 1.0})
@register("swebench-verified", name="swebench-verified", dataset=VERIFIED)
# SWE-bench Verified instances whose reference patch touches two or more files (SWE-bench
# Lite has none: every Lite gold patch edits one file).
@register("swebench-multifile", name="swebench-multifile", dataset=VERIFIED, min_files=2,
          weights={"multi-file": 1.0})
class SWEBench:
    protocol_version = PROTOCOL_VERSION
    id_field = "instance_id"
    completion_field = "model_patch"

    def __init__(self, name: str = "swebench", dataset: str = LITE,
                 settings: SWEBenchSettings | None = None, min_files: int = 1) -> None:
        self.name = name
        self.dataset = dataset
        self.min_files = min_files
        self._settings = settings

    @property
    def settings(self) -> SWEBenchSettings:
        # read lazily: the registry builds suites at first lookup, and the environment
        # may change between tests or CLI invocations in one process
        return self._settings or load_settings()

    def load(self, data: Path | None = None, limit: int | None = None,
             ids: Sequence[str] | None = None, repos: Sequence[str] | None = None,
             sample: int | None = None, seed: int = 0) -> list[Instance]:
        path = data or self.settings.path
        if path is not None:
            source = str(path)
            instances = read_instances(Path(path))
        else:
            source = self.settings.dataset if self.name == "swebench" else self.dataset
            instances = from_hub(source)
        instances = touching_at_least(instances, self.min_files, source)
        return select_instances(instances, ids=ids, repos=repos, limit=limit, sample=sample,
                                seed=seed, strict=False)

    def canonical_id(self, raw: object) -> str:
        return str(raw).strip()

    def prompt(self, task: Instance) -> list[Message]:
        from benchmarks.swebench.evaluation import repo_source

        return oracle_messages(task, repo_source(self.settings))

    def extract(self, task: Instance, answer_text: str) -> str:
        return extract_patch(answer_text)

    def reference(self, task: Instance) -> str:
        """The gold patch: resolves the instance by definition (validates a set-up)."""
        return task.patch

    def evaluate(self, tasks: Mapping[str, Instance], samples: Sequence[Sample],
                 sandbox: SandboxRunner | None = None, on_result: OnResult | None = None,
                 repo_mirror: Path | None = None) -> list[SampleResult]:
        from benchmarks.swebench.evaluation import evaluate_predictions

        predictions = [{"instance_id": s.task_id, "model_patch": s.completion} for s in samples]
        callback = None
        if on_result is not None:
            def callback(index: int, verdict: Any) -> None:
                on_result(index, verdict.to_sample_result())
        verdicts = evaluate_predictions(tasks, predictions, sandbox, settings=self.settings,
                                        repo_mirror=repo_mirror, on_result=callback)
        return [v.to_sample_result() for v in verdicts]
