"""The `assess` flow: measure models on benchmarks, then place them and export.

Fan-out: one task per (model, benchmark, shard); a shard holds tens of samples because a
Prefect task run costs about 14 ms here. Every sample is stored as it is judged, so a
rerun with the same parameters continues where an interrupted one stopped. Each run ends
`completed` (scored), `incomplete` (too many infrastructure outcomes, not scored) or
`failed`; neither of the last two demotes a model (see benchmarks/assessment/placing.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from prefect import flow
from prefect.futures import wait
from pydantic import Field

from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.runs import shard, work_items
from router.errors import ConfigError
from tasks.assess import (
    artifacts_task,
    assess_shard_task,
    estimate_task,
    export_task,
    finish_models_task,
    open_run_task,
    place_task,
    refresh_prices_task,
    resolve_models_task,
    score_run_task,
    start_models_task,
    summary_task,
)
from tasks.runners import assessment_task_runner

# swebench-multifile measures the multi-file category (benchmarks.placement)
BenchmarkName = Literal["humaneval", "mbpp", "swebench", "swebench-multifile"]


@flow(name="assess", log_prints=False, validate_parameters=True,
      task_runner=assessment_task_runner())
def assess(
    models: Annotated[list[str], Field(description="Model ids (provider/model).")] = [],  # noqa: B006
    all_new: Annotated[bool, Field(description="Also every model discovery marked new.")] = False,
    benchmarks: Annotated[list[BenchmarkName], Field(min_length=1)] = ["humaneval", "mbpp"],  # noqa: B006
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
) -> dict[str, Any]:
    """Assess models, then place them in the hierarchy and write the exported files."""
    params = AssessParams(benchmarks=list(benchmarks), limit=limit, task_ids=task_ids,
                          samples=samples, temperature=temperature, seed=seed,
                          shard_size=shard_size)
    model_ids = resolve_models_task(models, all_new)
    if not model_ids:
        return {"models": {}}
    if dry_run:
        return estimate_task(model_ids, params)
    start_models_task(model_ids)
    refresh_prices_task()
    shard_futures = []
    skipped: dict[str, str] = {}
    for benchmark in params.benchmarks:
        for model_id in model_ids:
            try:
                run = open_run_task(model_id, benchmark, params)
            except ConfigError as exc:  # its data cannot be loaded here: say so, go on
                skipped[benchmark] = str(exc)
                break
            for i, items in enumerate(shard(work_items(run, params.samples), params.shard_size)):
                future = assess_shard_task.submit(run, items, params, label=f"shard{i}")
                shard_futures.append((run, future))
    if len(skipped) == len(params.benchmarks):
        raise ConfigError("no benchmark could be loaded: " + "; ".join(skipped.values()))
    wait([f for _, f in shard_futures])

    failures: dict[int, str] = {}
    for run, future in shard_futures:
        if future.state.is_failed() and run.run_id not in failures:
            failures[run.run_id] = _reason(future)
    reasons: dict[str, str | None] = dict.fromkeys(model_ids)
    runs = {r.run_id: r for r, _ in shard_futures}
    for run in runs.values():
        status, reason = score_run_task(run, failures.get(run.run_id))
        if reason and reasons[run.model_id] is None:
            reasons[run.model_id] = f"{run.benchmark} run {status}: {reason}"
    finish_models_task(reasons)
    place_task()
    paths = export_task(export_dir, opencode_config, opencode_plan)
    paths["report"] = artifacts_task(paths["scoring_matrix"], report)
    summary = summary_task(model_ids, params.benchmarks, list(runs))
    summary["exports"] = paths
    summary["skipped_benchmarks"] = skipped
    return summary


def _reason(future: Any) -> str:
    try:
        future.result()
    except Exception as exc:  # noqa: BLE001 - the reason is recorded, not re-raised
        return f"{type(exc).__name__}: {exc}"
    return "failed"
