"""Judging SWE-bench predictions (``{"instance_id", "model_patch"}`` records).

The dispatch: the official harness where a Docker engine answers, the local executor
otherwise (see ``docker.choose_executor``). Either way one verdict per prediction, in
the predictions' order; a prediction's failure is a verdict, never an exception.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.swebench.config import SWEBenchSettings, load_settings
from benchmarks.swebench.docker import choose_executor, docker_available, evaluate_with_harness
from benchmarks.swebench.environment import EnvironmentCache
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.local import InstanceVerdict, LocalExecutor
from benchmarks.swebench.repos import RepoSource
from router.errors import InputError

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner

OnVerdict = Callable[[int, InstanceVerdict], None]


def repo_source(settings: SWEBenchSettings, mirror: Path | None = None) -> RepoSource:
    return RepoSource(mirror=mirror or settings.mirror, cache_dir=settings.resolved_cache_dir,
                      clone_url=settings.clone_url if settings.clone else None)


def local_executor(settings: SWEBenchSettings, mirror: Path | None = None) -> LocalExecutor:
    repos = repo_source(settings, mirror)
    envs = EnvironmentCache(settings.resolved_cache_dir / "envs", repos,
                            date_cutoff=settings.date_cutoff)
    return LocalExecutor(repos, envs, specs=settings.specs(),
                         workspace=settings.resolved_cache_dir / "work",
                         test_timeout_s=settings.timeout_s)


def _pairs(instances: Mapping[str, Instance],
           predictions: Sequence[Mapping[str, Any]]) -> list[tuple[str, str | None]]:
    pairs = []
    for number, record in enumerate(predictions, start=1):
        iid = record.get("instance_id")
        if not isinstance(iid, str) or iid not in instances:
            raise InputError(f"prediction {number}: unknown instance_id {iid!r}")
        patch = record.get("model_patch")
        if patch is not None and not isinstance(patch, str):
            raise InputError(f"prediction {number}: model_patch must be a string or null")
        pairs.append((iid, patch))
    return pairs


def evaluate_predictions(
    instances: Mapping[str, Instance] | Sequence[Instance],
    predictions: Sequence[Mapping[str, Any]],
    sandbox: SandboxRunner | None = None,
    *,
    settings: SWEBenchSettings | None = None,
    repo_mirror: Path | None = None,
    executor: str | None = None,
    local: LocalExecutor | None = None,
    on_result: OnVerdict | None = None,
    docker_check: Callable[[], bool] = docker_available,
) -> list[InstanceVerdict]:
    """One verdict per prediction, in order.

    ``sandbox`` is an open ``benchmarks.sandbox.Sandbox`` to reuse (None: one is opened
    for the local path). ``executor`` overrides ROUTERX_SWEBENCH_EXECUTOR (auto, docker,
    local); ``local`` injects a configured LocalExecutor (mirror, recipes, cache).
    """
    settings = settings or load_settings()
    by_id = dict(instances) if isinstance(instances, Mapping) else {
        i.instance_id: i for i in instances}
    pairs = _pairs(by_id, predictions)
    verdicts: list[InstanceVerdict | None] = [None] * len(pairs)

    def done(index: int, verdict: InstanceVerdict) -> None:
        verdicts[index] = verdict
        if on_result is not None:
            on_result(index, verdict)

    todo = []
    for index, (iid, patch) in enumerate(pairs):
        if not patch or not patch.strip():  # the harness skips these; they resolve nothing
            done(index, InstanceVerdict(iid, "patch_failed", "empty patch"))
        else:
            todo.append((index, iid, patch))
    if todo:
        chosen = choose_executor(executor or settings.executor, docker_check)
        if chosen == "docker":
            with tempfile.TemporaryDirectory(prefix="harness-",
                                             dir=_ensure(settings.resolved_cache_dir)) as tmp:
                results = evaluate_with_harness(by_id, [(i, p) for _, i, p in todo], Path(tmp),
                                                settings.workers, settings.timeout_s)
            for (index, _, _), verdict in zip(todo, results, strict=True):
                done(index, verdict)
        else:
            executor_ = local or local_executor(settings, repo_mirror)
            lock = threading.Lock()

            def one(item: tuple[int, str, str], sb: Any) -> None:
                index, iid, patch = item
                verdict = executor_.evaluate(by_id[iid], patch, sb)
                with lock:  # callbacks (stores, progress lines) see one verdict at a time
                    done(index, verdict)

            with _open_sandbox(sandbox) as sb:
                if settings.workers <= 1 or len(todo) == 1:
                    for item in todo:
                        one(item, sb)
                else:
                    # environments are shared and built once under their lock; each
                    # command already runs in its own sandbox helper
                    with ThreadPoolExecutor(settings.workers) as pool:
                        for future in [pool.submit(one, item, sb) for item in todo]:
                            future.result()
    return [v for v in verdicts if v is not None]


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def _open_sandbox(given: Any) -> Iterator[Any]:
    """The caller's sandbox, or one opened for this call. One pool worker: SWE-bench runs
    commands, each in its own helper, so pre-forked Python workers would sit idle."""
    if given is not None:
        yield given
        return
    from benchmarks.sandbox import Sandbox

    with Sandbox(workers=1) as sandbox:
        yield sandbox
