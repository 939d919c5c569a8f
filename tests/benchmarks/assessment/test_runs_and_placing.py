"""Runs resume, samples never duplicate, scores become placements and fallback tables."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from benchmarks.assessment.params import AssessParams
from benchmarks.assessment.placing import place_all
from benchmarks.assessment.runs import (
    done_items,
    open_run,
    resolve_models,
    shard,
    store_sample,
    work_items,
)
from benchmarks.assessment.scores import score_run
from router.errors import InputError
from router.measurement import PlacementProtocol
from router.placements import latest_fallback_tables
from router.store import get_engine
from router.store.models import BenchmarkScore, ModelStatus, Placement, SampleResult
from tests.benchmarks.assessment.helpers import add_models

FIRST_3 = PlacementProtocol(limit=3)  # these tests place 3-task runs


def row(run_id: int, task: str, i: int, passed: bool, lat: float = 100.0) -> SampleResult:
    return SampleResult(run_id=run_id, task_id=task, sample_index=i, prompt_hash="h",
                        passed=passed, verdict="passed" if passed else "failed",
                        latency_ms=lat, tokens_in=10, tokens_out=5, cost_usd=0.001)


def test_same_params_resume_the_same_run(database_url) -> None:
    add_models(database_url, "p/m")
    params = AssessParams(benchmarks=["humaneval"], limit=3, samples=2)
    run = open_run("p/m", "humaneval", params, database_url=database_url)
    assert run.task_ids == ("HumanEval/0", "HumanEval/1", "HumanEval/2")
    items = work_items(run, params.samples)
    assert len(items) == 6 and shard(items, 4) == [items[:4], items[4:]]
    assert store_sample(row(run.run_id, "HumanEval/0", 0, True), database_url)
    assert not store_sample(row(run.run_id, "HumanEval/0", 0, False), database_url)  # no dup
    again = open_run("p/m", "humaneval", params, database_url=database_url)
    assert again.run_id == run.run_id
    assert done_items(run.run_id, database_url) == {("HumanEval/0", 0)}
    other = open_run("p/m", "humaneval", params.model_copy(update={"samples": 3}),
                     database_url=database_url)
    assert other.run_id != run.run_id


def test_invalid_parameters_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="unknown benchmark 'humaneva'; known: humaneval"):
        AssessParams(benchmarks=["humaneva"])
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        AssessParams(samples=0)


def test_resolve_models_checks_the_catalogue(database_url) -> None:
    add_models(database_url, "p/new1", "p/new2", status=ModelStatus.NEW)
    add_models(database_url, "p/emb", status=ModelStatus.CATALOGUED, kind="embedding")
    add_models(database_url, "p/old", status=ModelStatus.RETIRED)
    assert resolve_models([], True, database_url) == ["p/new1", "p/new2"]
    with pytest.raises(InputError, match="not in the catalogue"):
        resolve_models(["p/nope"], False, database_url)
    with pytest.raises(InputError, match="embedding model"):
        resolve_models(["p/emb"], False, database_url)
    with pytest.raises(InputError, match="retired"):
        resolve_models(["p/old"], False, database_url)


def test_scores_place_models_in_skill_order_and_version_fallbacks(database_url) -> None:
    skills = {"p/a": 3, "p/b": 2, "p/c": 1}  # tasks passed out of 3
    add_models(database_url, *skills)
    params = AssessParams(benchmarks=["humaneval"], limit=3)
    for model, k in skills.items():
        run = open_run(model, "humaneval", params, database_url=database_url)
        for j, task in enumerate(run.task_ids):
            store_sample(row(run.run_id, task, 0, j < k), database_url)
        score_run(run, database_url)
    with Session(get_engine(database_url)) as s:
        zs = {x.model_id: x.z_score for x in s.exec(select(BenchmarkScore))}
    # pass@1 = 1, 2/3, 1/3: mean 2/3, population std sqrt(2/27) = 0.27217 -> z = +-1.2247, 0
    assert zs["p/a"] == pytest.approx(1.224745, abs=1e-5) and zs["p/b"] == pytest.approx(0.0)

    decisions = place_all(database_url=database_url, protocol=FIRST_3)
    order = [d.model_id for d in decisions["code-generation"]]
    assert order == ["p/a", "p/b", "p/c"]
    assert decisions["bug-fix"] == []  # no SWE-bench evidence: no placement, no guess
    with Session(get_engine(database_url)) as s:
        table = latest_fallback_tables(s)["code-generation"]
        assert (table.version, table.models) == (1, order)
        placements = s.exec(select(Placement)).all()
        # 3/3 and 1/3 of three tasks: Wilson intervals 0.44-1 and 0.06-0.79 overlap, so
        # the evidence cannot separate them by layer; the order still follows skill.
        layers = {p.model_id: p.layer for p in placements}
        assert layers["p/a"] <= layers["p/b"] <= layers["p/c"]
    place_all(database_url=database_url, protocol=FIRST_3)  # same order: no new version
    with Session(get_engine(database_url)) as s:
        assert latest_fallback_tables(s)["code-generation"].version == 1
