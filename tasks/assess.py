"""Prefect tasks for the assessment: thin wrappers over benchmarks.assessment."""

from __future__ import annotations

import asyncio
from typing import Any, NotRequired, TypedDict

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

from benchmarks.assessment import runs
from benchmarks.assessment.decide import check_adaptive
from benchmarks.assessment.execute import (
    assess_shard,
    cached_price_book,
    dry_run,
    refresh_prices,
)
from benchmarks.assessment.generate import ShardResult
from benchmarks.assessment.params import AssessParams, StoppingRules
from benchmarks.assessment.placing import place_all
from benchmarks.assessment.report import assessment_summary, placement_rows
from benchmarks.assessment.runs import RunInfo, WorkItem
from benchmarks.assessment.scores import conclude_run
from benchmarks.assessment.waves import Wave, plan_wave
from router.measurement import load_placement_protocol
from router.store.models import ModelStatus


@task(name="resolve-models", cache_policy=NONE)
def resolve_models_task(models: list[str], all_new: bool) -> list[str]:
    return runs.resolve_models(models, all_new)


@task(name="start-assessment", cache_policy=NONE)
def start_models_task(model_ids: list[str]) -> None:
    runs.set_model_status(model_ids, ModelStatus.ASSESSING, "assessment running")


@task(name="refresh-prices", cache_policy=NONE)
def refresh_prices_task() -> str:
    return asyncio.run(refresh_prices())


@task(name="estimate-cost", cache_policy=NONE)
def estimate_task(model_ids: list[str], params: AssessParams) -> dict[str, Any]:
    """The dry run, also as a table artifact in the Prefect UI."""
    result = dry_run(model_ids, params)
    create_table_artifact(
        key="routerx-dry-run", table=result["estimates"],
        description="What this assessment would ask and cost (nothing was asked); "
                    "a cost of null is unknown (see price_source)")
    return result


@task(name="open-run", task_run_name="open-{model_id}-{benchmark}", cache_policy=NONE)
def open_run_task(model_id: str, benchmark: str, params: AssessParams) -> RunInfo:
    return runs.open_run(model_id, benchmark, params, flow_run_id=str(flow_run.get_id() or ""))


@task(name="assess-shard", task_run_name="{run.model_id}-{run.benchmark}-{label}",
      cache_policy=NONE)
async def assess_shard_task(run: RunInfo, items: list[WorkItem], params: AssessParams,
                            label: str) -> ShardResult:
    return await assess_shard(run, items, params)


@task(name="check-stopping-rules", cache_policy=NONE)
def check_stopping_task(params: AssessParams, stopping: StoppingRules) -> None:
    """An adaptive assessment must be one that places (InputError otherwise)."""
    if stopping.adaptive:
        check_adaptive(params, load_placement_protocol())


@task(name="plan-wave", cache_policy=NONE)
def plan_wave_task(runs_: list[RunInfo], params: AssessParams, stopping: StoppingRules,
                   attempted: list[tuple[int, str, int]], failed: list[int]) -> Wave:
    return plan_wave(runs_, params, stopping, attempted, cached_price_book(),
                     load_placement_protocol(), failed)


@task(name="full-run-costs", cache_policy=NONE)
def full_costs_task(model_ids: list[str], params: AssessParams) -> dict[str, float | None]:
    """"model benchmark" -> the estimated cost of every sample (to compare the spend with)."""
    return {f"{e['model_id']} {e['benchmark']}": e["full_cost_usd"]
            for e in dry_run(model_ids, params)["estimates"]}


@task(name="score-run", task_run_name="score-{run.model_id}-{run.benchmark}", cache_policy=NONE)
def score_run_task(run: RunInfo, failed_reason: str | None, stopped: str | None = None,
                   decision: dict[str, Any] | None = None) -> tuple[str, str | None]:
    """(run status, reason): completed, decided (adaptive, stopped early), incomplete
    (too many infrastructure outcomes, or a budget) or failed."""
    outcome = conclude_run(run, failed_reason, stopped=stopped, decision=decision)
    return outcome.status.value, outcome.reason


@task(name="finish-models", cache_policy=NONE)
def finish_models_task(reasons: dict[str, str | None]) -> None:
    runs.settle_models(reasons)


@task(name="place-models", cache_policy=NONE)
def place_task() -> dict[str, list[dict[str, Any]]]:
    return {c: [{"model": d.model_id, "layer": d.layer, "score": d.score,
                 "provisional": d.provisional} for d in ds] for c, ds in place_all().items()}


class ExportPaths(TypedDict):
    """Where an assessment wrote its files (the flow adds the report's path)."""

    scoring_matrix: str
    fallback_tables: str
    opencode_config: str | None
    report: NotRequired[str | None]


@task(name="export-files", cache_policy=NONE)
def export_task(export_dir: str | None, opencode_config: str | None,
                opencode_plan: dict[str, Any] | None = None) -> ExportPaths:
    from pathlib import Path

    from router.exports import OpenCodePlan, export_all
    from router.settings import load_settings

    target = Path(export_dir) if export_dir else load_settings().data_dir / "exports"
    paths = export_all(target, Path(opencode_config) if opencode_config else None,
                       plan=OpenCodePlan.from_dict(opencode_plan))
    return {"scoring_matrix": str(paths.scoring_matrix),
            "fallback_tables": str(paths.fallback_tables),
            "opencode_config": str(paths.opencode_config) if paths.opencode_config else None}


@task(name="publish-artifacts", cache_policy=NONE)
def artifacts_task(scoring_matrix_path: str, report: bool = True) -> str | None:
    """The placements, the scoring matrix and the report's charts in the Prefect UI."""
    from pathlib import Path

    from prefect.artifacts import create_link_artifact

    from router.report.artifacts import report_artifacts

    create_table_artifact(key="routerx-placements", table=placement_rows(),
                          description="Placements per category after this assessment")
    create_markdown_artifact(key="routerx-scoring-matrix",
                             markdown=Path(scoring_matrix_path).read_text(encoding="utf-8"),
                             description="Scoring matrix after this assessment")
    if not report:
        return None
    art = report_artifacts()
    create_link_artifact(key=art.link_key, link=art.link, link_text="routerx report")
    create_markdown_artifact(key=art.markdown_key, markdown=art.markdown)
    for table in art.tables:
        create_table_artifact(key=table.key, table=table.rows, description=table.description)
    return str(art.report_path)


@task(name="summarise", cache_policy=NONE)
def summary_task(model_ids: list[str], benchmarks: list[str], run_ids: list[int],
                 full_costs: dict[str, float | None] | None = None) -> dict[str, Any]:
    return assessment_summary(model_ids, benchmarks, run_ids, full_costs=full_costs)
