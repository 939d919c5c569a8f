"""The `assess` flow: measure models on benchmarks, then place them and export.

Fan-out: one task per (model, benchmark, shard); a shard holds tens of samples because a
Prefect task run costs about 14 ms here. Every sample is stored as it is judged, so a
rerun with the same parameters continues where an interrupted one stopped. Each run ends
`completed` (scored), `incomplete` (too many infrastructure outcomes, or a budget: not
scored) or `failed`; neither of the last two demotes a model (see
benchmarks/assessment/placing.py). With `budget_usd` or `adaptive` the samples are asked
in waves, each planned from the store (benchmarks/assessment/waves.py); an adaptive run
that stops once its layer is decided ends `decided` and is placed as adaptive evidence.
`dry_run` asks nothing and returns the expected requests, tokens and cost.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Annotated, Any, Literal

from prefect import flow
from prefect.futures import wait
from pydantic import Field

from benchmarks.assessment.params import AssessParams, StoppingRules
from benchmarks.assessment.runs import RunInfo, shard, work_items
from benchmarks.registry import benchmark_names, default_benchmarks
from router.errors import ConfigError
from router.store.models import RunStatus
from tasks.assess import (
    artifacts_task,
    assess_shard_task,
    check_stopping_task,
    estimate_task,
    export_task,
    finish_models_task,
    full_costs_task,
    open_run_task,
    place_task,
    plan_wave_task,
    refresh_prices_task,
    resolve_models_task,
    score_run_task,
    start_models_task,
    summary_task,
)
from tasks.runners import assessment_task_runner

# Every registered benchmark (benchmarks.registry), as an enum the Prefect UI's form offers.
if TYPE_CHECKING:
    BenchmarkName = str
else:
    BenchmarkName = Literal[tuple(benchmark_names())]


@flow(name="assess", log_prints=False, validate_parameters=True,
      task_runner=assessment_task_runner())
def assess(
    models: Annotated[list[str], Field(description="Model ids (provider/model).")] = [],  # noqa: B006
    all_new: Annotated[bool, Field(description="Also every model discovery marked new.")] = False,
    benchmarks: Annotated[list[BenchmarkName], Field(min_length=1)] = default_benchmarks(),  # noqa: B008
    limit: Annotated[int | None, Field(ge=1, description="First N tasks per benchmark.")] = None,
    task_ids: Annotated[list[str] | None, Field(description="Only these task ids.")] = None,
    samples: Annotated[int, Field(ge=1, le=200, description="Samples per task.")] = 1,
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.0,
    seed: Annotated[int | None, Field(description="Base seed; sample i uses seed + i.")] = 0,
    shard_size: Annotated[int, Field(ge=1, le=1000)] = 20,
    export_dir: str | None = None,
    opencode_config: str | None = None,
    opencode_plan: Annotated[dict[str, Any] | None, Field(
        description="What else to write into the OpenCode config: serve_url (a routerx "
        "provider), apply ({agent: category}), direct (layer-1 models)")] = None,
    report: Annotated[bool, Field(description="Render the HTML report and publish its "
                                  "charts as artifacts (about 2 s).")] = True,
    dry_run: Annotated[bool, Field(description="Ask nothing: return (and publish as an "
                                   "artifact) the requests, tokens and cost per model and "
                                   "benchmark.")] = False,
    adaptive: Annotated[bool, Field(description="Ask the tasks in a seeded random order and "
                                    "stop each benchmark once the model's layer is decided "
                                    "at `confidence` (docs/adaptive.md).")] = False,
    confidence: Annotated[float, Field(ge=0.5, le=0.999, description="Of an adaptive "
                                       "decision.")] = 0.95,
    budget_usd: Annotated[float | None, Field(gt=0, description="Stop asking a model once "
                                              "its spent cost plus the requests in flight "
                                              "would pass this (USD); its runs end "
                                              "incomplete and a rerun continues them.")
                          ] = None,
) -> dict[str, Any]:
    """Assess models, then place them in the hierarchy and write the exported files."""
    params = AssessParams(benchmarks=list(benchmarks), limit=limit, task_ids=task_ids,
                          samples=samples, temperature=temperature, seed=seed,
                          shard_size=shard_size)
    stopping = StoppingRules(adaptive=adaptive, confidence=confidence, budget_usd=budget_usd)
    model_ids = resolve_models_task(models, all_new)
    if not model_ids:
        return {"models": {}}
    if dry_run:
        return estimate_task(model_ids, params)
    check_stopping_task(params, stopping)
    start_models_task(model_ids)
    refresh_prices_task()
    runs: list[RunInfo] = []
    skipped: dict[str, str] = {}
    for benchmark in params.benchmarks:
        for model_id in model_ids:
            try:
                runs.append(open_run_task(model_id, benchmark, params))
            except ConfigError as exc:  # its data cannot be loaded here: say so, go on
                skipped[benchmark] = str(exc)
                break
    if len(skipped) == len(params.benchmarks):
        raise ConfigError("no benchmark could be loaded: " + "; ".join(skipped.values()))
    full_costs = None
    stops: dict[int, str] = {}
    decisions: dict[int, dict[str, Any]] = {}
    if stopping.active:
        asked = [b for b in params.benchmarks if b not in skipped]
        full_costs = full_costs_task(model_ids, params.model_copy(update={"benchmarks": asked}))
        failures, stops, decisions = _ask_in_waves(runs, params, stopping)
    else:
        failures = _ask_everything(runs, params)

    reasons: dict[str, str | None] = dict.fromkeys(model_ids)
    for run in runs:
        status, reason = score_run_task(run, failures.get(run.run_id),
                                        stops.get(run.run_id), decisions.get(run.run_id))
        if reason and status != RunStatus.DECIDED and reasons[run.model_id] is None:
            reasons[run.model_id] = f"{run.benchmark} run {status}: {reason}"
    finish_models_task(reasons)
    place_task()
    paths = export_task(export_dir, opencode_config, opencode_plan)
    paths["report"] = artifacts_task(paths["scoring_matrix"], report)
    summary = summary_task(model_ids, params.benchmarks, [r.run_id for r in runs], full_costs)
    summary["exports"] = paths
    summary["skipped_benchmarks"] = skipped
    return summary


def _ask_everything(runs: list[RunInfo], params: AssessParams) -> dict[int, str]:
    """Every sample of every run at once; run id -> why it failed."""
    futures = [(run, assess_shard_task.submit(run, items, params, label=f"shard{i}"))
               for run in runs
               for i, items in enumerate(shard(work_items(run, params.samples),
                                               params.shard_size))]
    return _failures(futures)


def _ask_in_waves(runs: list[RunInfo], params: AssessParams, stopping: StoppingRules
                  ) -> tuple[dict[int, str], dict[int, str], dict[int, dict[str, Any]]]:
    """Wave after wave as the budget and the adaptive rule allow (benchmarks/assessment/
    waves.py plans each from the store); (failures, stopped, adaptive decisions)."""
    attempted: list[tuple[int, str, int]] = []
    failures: dict[int, str] = {}
    for number in itertools.count():
        wave = plan_wave_task(runs, params, stopping, attempted, list(failures))
        if wave.empty:
            return failures, wave.stopped, wave.decisions
        futures = []
        for run in runs:
            items = wave.items.get(run.run_id) or []
            attempted += [(run.run_id, task, index) for task, index in items]
            futures += [(run, assess_shard_task.submit(run, chunk, params,
                                                       label=f"wave{number}-shard{i}"))
                        for i, chunk in enumerate(shard(items, params.shard_size))]
        failures.update(_failures(futures))
    raise AssertionError("unreachable")  # pragma: no cover


def _failures(futures: list[tuple[RunInfo, Any]]) -> dict[int, str]:
    wait([f for _, f in futures])
    failures: dict[int, str] = {}
    for run, future in futures:
        if future.state.is_failed() and run.run_id not in failures:
            failures[run.run_id] = _reason(future)
    return failures


def _reason(future: Any) -> str:
    try:
        future.result()
    except Exception as exc:  # noqa: BLE001 - the reason is recorded, not re-raised
        return f"{type(exc).__name__}: {exc}"
    return "failed"
