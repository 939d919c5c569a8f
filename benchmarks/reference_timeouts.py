"""Per-task timeouts from the reference solutions' measured runtimes.

Why measure: a fixed timeout either punishes slow machines (a correct solution times
out on a loaded 2-core box) or lets infinite loops burn seconds on fast ones. EvalPlus's
rule scales each task's limit with how long its reference solution takes *here*, with
a floor (``benchmarks.sandbox.timeout_for``). A correct reference must never time out.

The reference runs once per (benchmark, protocol, job) and the runtime is cached in
``$XDG_CACHE_HOME/routerx/reference-runtimes/<benchmark>-<protocol>.json``, keyed by
task id and the SHA-256 of the reference's job (its program, the judge's context and
test), so a changed task or test is measured again. Runtimes are measured as samples
run (a candidate answering a judge's calls, in the sandbox) under the same load as the
samples will be, which errs on the side of longer limits.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.functional import FunctionalBenchmark
    from benchmarks.sandbox.runner import SandboxRunner

#: generous limit for measuring a reference: it only has to finish, not be fast
MEASURE_TIMEOUT_S = 60.0


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routerx" / "reference-runtimes"


def cache_file(benchmark: Any) -> Path:
    safe = f"{benchmark.name}-{benchmark.protocol_version}".replace("/", "_")
    return cache_dir() / f"{safe}.json"


def _digest(job: Any) -> str:
    text = json.dumps([job.program, job.context, job.test, job.entry_point])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}  # absent or damaged: measuring again is always safe
    return data if isinstance(data, dict) else {}


def _write(path: Path, entries: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entries, fh, indent=0, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def reference_runtimes(benchmark: FunctionalBenchmark, tasks: Sequence[Any],
                       sandbox: SandboxRunner) -> dict[str, dict[str, Any]]:
    """``task_id -> {"seconds", "status", "sha256"}`` for every task, measuring the
    reference solutions that the cache does not hold yet."""
    from benchmarks.execution import run_jobs

    path = cache_file(benchmark)
    cached = _read(path)
    jobs = {t.task_id: benchmark.job(t, benchmark.reference(t), MEASURE_TIMEOUT_S)
            for t in tasks}
    todo = [tid for tid, job in jobs.items()
            if cached.get(tid, {}).get("sha256") != _digest(job)]
    if todo:
        results = run_jobs(sandbox, [jobs[tid] for tid in todo])
        fresh = {
            tid: {"seconds": r.duration_s or 0.0, "status": r.status,
                  "sha256": _digest(jobs[tid])}
            for tid, r in zip(todo, results, strict=True)
        }
        merged = {**_read(path), **fresh}  # re-read: another process may have added some
        _write(path, merged)
        cached = merged
    return {tid: cached[tid] for tid in jobs}


def task_timeouts(benchmark: FunctionalBenchmark, tasks: Sequence[Any],
                  sandbox: SandboxRunner) -> dict[str, float]:
    """``task_id -> timeout_s`` by EvalPlus's rule over the measured reference runtime."""
    from benchmarks.sandbox import timeout_for

    runtimes = reference_runtimes(benchmark, tasks, sandbox)
    return {tid: float(timeout_for(entry["seconds"])) for tid, entry in runtimes.items()}
