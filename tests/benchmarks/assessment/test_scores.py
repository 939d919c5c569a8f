"""Scores count only the model's own outcomes and are keyed by what was measured."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from benchmarks.assessment.runs import done_items, store_sample
from router.measurement import task_set_hash
from router.store import get_engine
from router.store.models import BenchmarkRun, BenchmarkScore, RunStatus, SampleResult
from tests.benchmarks.assessment.helpers import add_models, passing_first, store_run


def _score(url: str, model: str, tasks: int = 164) -> BenchmarkScore:
    with Session(get_engine(url)) as s:
        return s.exec(select(BenchmarkScore).where(BenchmarkScore.model_id == model,
                                                   BenchmarkScore.task_count == tasks)).one()


def test_infrastructure_outcomes_are_left_out_of_the_score(database_url: str) -> None:
    add_models(database_url, "p/m")

    def verdict(i: int, _task: str) -> str:
        if i < 5:
            return ("environment", "interpreter", "sandbox", "unsupported", "provider_error")[i]
        return "passed" if i < 85 else "error"  # the model's own broken code: a failure

    _, outcome = store_run(database_url, "p/m", verdict)
    assert outcome.status == RunStatus.COMPLETED
    score = _score(database_url, "p/m")
    assert score.n_tasks == 159 and score.infra_samples == 5
    assert score.pass_at_1 == pytest.approx(80 / 159)  # not 80/164
    assert score.verdicts["environment"] == 1 and score.verdicts["error"] == 79
    # robustness counts the model's `error`s, not routerx's failures
    assert score.robustness == pytest.approx(1 - 79 / 159)


@pytest.mark.parametrize(("lost", "status"), [(8, RunStatus.COMPLETED),
                                              (9, RunStatus.INCOMPLETE)])
def test_more_than_five_percent_infrastructure_is_incomplete(database_url: str, lost: int,
                                                             status: RunStatus) -> None:
    add_models(database_url, "p/m")
    run, outcome = store_run(database_url, "p/m",
                             lambda i, _: "sandbox" if i < lost else "passed")
    assert outcome.status == status  # 8/164 = 4.9%, 9/164 = 5.5%
    with Session(get_engine(database_url)) as s:
        stored = s.get(BenchmarkRun, run.run_id)
        scores = s.exec(select(BenchmarkScore)).all()
    assert stored.status == status
    if status == RunStatus.INCOMPLETE:
        assert scores == [] and "9 of 164 samples (5.5%)" in stored.error
        assert "9 sandbox" in stored.error and "sandbox (test)" in stored.error
    else:
        assert len(scores) == 1 and stored.error is None


def test_a_score_is_keyed_by_task_set_samples_and_temperature(database_url: str) -> None:
    add_models(database_url, "p/a", "p/b", "p/c")
    for model, k in (("p/a", 150), ("p/b", 100), ("p/c", 50)):
        store_run(database_url, model, passing_first(k))
    store_run(database_url, "p/a", passing_first(3), limit=3)
    store_run(database_url, "p/b", passing_first(1), limit=3)
    full, smoke = _score(database_url, "p/a"), _score(database_url, "p/a", tasks=3)
    assert full.id != smoke.id and full.pass_at_1 == pytest.approx(150 / 164)
    assert smoke.task_set == task_set_hash(["HumanEval/0", "HumanEval/1", "HumanEval/2"])
    assert (smoke.samples_per_task, smoke.temperature) == (1, 0.0)
    # z among the three full runs only; two smoke runs are too few to compare
    assert full.z_score == pytest.approx(1.224745, abs=1e-5)
    assert smoke.z_score is None


def test_a_rerun_asks_again_for_infrastructure_outcomes_only(database_url: str) -> None:
    add_models(database_url, "p/m")
    run, _ = store_run(database_url, "p/m",
                       lambda i, _: "provider_error" if i < 2 else "failed", limit=4)
    assert done_items(run.run_id, database_url) == {("HumanEval/2", 0), ("HumanEval/3", 0)}

    def sample(task: str, verdict: str) -> SampleResult:
        return SampleResult(run_id=run.run_id, task_id=task, sample_index=0, prompt_hash="h",
                            passed=verdict == "passed", verdict=verdict)

    assert store_sample(sample("HumanEval/0", "passed"), database_url)      # replaces
    assert not store_sample(sample("HumanEval/2", "passed"), database_url)  # judged: kept
    with Session(get_engine(database_url)) as s:
        rows = {r.task_id: r.verdict for r in s.exec(select(SampleResult))}
    assert rows == {"HumanEval/0": "passed", "HumanEval/1": "provider_error",
                    "HumanEval/2": "failed", "HumanEval/3": "failed"}


def test_a_verdict_outside_the_vocabulary_fails_the_run_instead_of_scoring(
        database_url: str) -> None:
    add_models(database_url, "p/m")
    _, outcome = store_run(database_url, "p/m",
                           lambda i, _: "weird" if i == 0 else "passed", limit=3)
    assert outcome.status == RunStatus.FAILED
    assert "unknown verdict status 'weird'" in outcome.reason
    with Session(get_engine(database_url)) as s:
        assert s.exec(select(BenchmarkScore)).all() == []
