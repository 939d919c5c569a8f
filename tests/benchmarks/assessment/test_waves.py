"""Asking in waves: budgets and adaptive stopping, planned from the store.

No provider and no sandbox: each wave's samples are written straight to the store with
the verdict a fixed answer key gives, as the shards would store them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session, select

from benchmarks.assessment.decide import ADAPTIVE_WAVE, observe, task_order
from benchmarks.assessment.params import AssessParams, StoppingRules
from benchmarks.assessment.placing import place_all
from benchmarks.assessment.runs import RunInfo, open_run, run_samples, store_sample
from benchmarks.assessment.scores import conclude_run
from benchmarks.assessment.waves import Wave, plan_wave, run_key
from router.config_file import PriceOverride
from router.measurement import PlacementProtocol
from router.pricing import PriceBook
from router.store import get_engine
from router.store.models import BenchmarkScore, Placement, RunStatus, SampleResult
from tests.benchmarks.assessment.helpers import add_models, passing_first, store_run

BOOK = PriceBook(overrides={"p/*": PriceOverride(input=1.0, output=2.0)})
PROTOCOL = PlacementProtocol()
# HumanEval has 164 tasks; tasks passed by each model of the population in its full run
SKILL = {"p/lead": 150, "p/good": 120, "p/fair": 90, "p/weak": 40}
Key = Callable[[str], bool]


def population(url: str) -> None:
    add_models(url, *SKILL)
    for model, k in SKILL.items():
        store_run(url, model, passing_first(k))
    place_all(database_url=url)


def answer(url: str, run: RunInfo, wave: Wave, key: Key, cost: float = 0.001) -> int:
    """Store the wave's samples as the shards would; how many were new."""
    new = 0
    for task, index in wave.items.get(run.run_id, []):
        new += store_sample(SampleResult(
            run_id=run.run_id, task_id=task, sample_index=index, prompt_hash="h",
            passed=key(task), verdict="passed" if key(task) else "failed", latency_ms=100.0,
            tokens_in=200, tokens_out=100, cost_usd=cost), url)
    return new


def run_waves(url: str, run: RunInfo, params: AssessParams, stopping: StoppingRules,
              key: Key, cost: float = 0.001) -> tuple[Wave, int]:
    """Plan and answer waves until nothing is left to ask; (last plan, waves)."""
    attempted: list[tuple[int, str, int]] = []
    for number in range(1000):
        wave = plan_wave([run], params, stopping, attempted, BOOK, PROTOCOL,
                         database_url=url)
        if wave.empty:
            return wave, number
        attempted += [(run.run_id, t, i) for t, i in wave.items[run.run_id]]
        assert answer(url, run, wave, key, cost) == len(wave.items[run.run_id])
    raise AssertionError("the waves never ended")


def test_the_order_is_seeded_by_the_run_and_a_permutation() -> None:
    ids = [f"T/{i}" for i in range(50)]
    order = task_order("ab" * 16, ids)
    assert sorted(order) == sorted(ids) and order != sorted(ids)
    assert task_order("ab" * 16, list(reversed(ids))) == order
    assert task_order("cd" * 16, ids) != order


def test_the_observed_stretch_ends_at_the_first_task_never_asked() -> None:
    def row(task: str, verdict: str) -> SampleResult:
        return SampleResult(run_id=1, task_id=task, sample_index=0, prompt_hash="h",
                            passed=verdict == "passed", verdict=verdict, latency_ms=10.0,
                            cost_usd=0.5)
    rows = [row("a", "passed"), row("b", "provider_error"), row("c", "failed"),
            row("e", "passed")]
    seen = observe(["a", "b", "c", "d", "e"], rows)
    # `e` is stored but lies beyond `d`, which was never asked: not yet part of the sequence
    assert (seen.outcomes, seen.reached, seen.skipped) == ([True, False], 3, ["b"])
    assert seen.cost_per_task_usd == 0.5 and seen.latency_p50_ms == 10.0


def _adaptive_layer(url: str, key: Key) -> tuple[RunInfo, Wave, int]:
    population(url)
    add_models(url, "p/new")
    params = AssessParams(benchmarks=["humaneval"])
    run = open_run("p/new", "humaneval", params, database_url=url)
    wave, waves = run_waves(url, run, params, StoppingRules(adaptive=True), key)
    return run, wave, waves


def test_a_clearly_weak_model_is_decided_early_and_placed_where_a_full_run_would_be(
        database_url: str, tmp_path: Path) -> None:
    def key(task: str) -> bool:  # passes 2 tasks in 164
        return task in ("HumanEval/0", "HumanEval/1")

    run, wave, waves = _adaptive_layer(database_url, key)
    decision = wave.decisions[run.run_id]
    assert decision["decided"] and not wave.stopped
    assert decision["asked"] == waves * ADAPTIVE_WAVE < 164
    low, high = decision["count_interval"]
    assert low <= 2 <= high
    outcome = conclude_run(run, database_url=database_url, decision=decision)
    assert outcome.status == RunStatus.DECIDED and "adaptive:" in outcome.reason
    place_all(database_url=database_url)
    with Session(get_engine(database_url)) as s:
        placed = s.exec(select(Placement).where(Placement.model_id == "p/new")).one()
        score = s.exec(select(BenchmarkScore).where(BenchmarkScore.model_id == "p/new")).one()
    assert score.adaptive["asked"] == decision["asked"] and score.n_tasks == decision["asked"]
    measured = placed.evidence["measurements"]["humaneval"]
    assert measured["adaptive"]["confidence"] == 0.95
    assert placed.layer == decision["layers"]["code-generation"]
    from router.report.data import load_report_data

    (row,) = [r for r in load_report_data(database_url).scores if r.model == "p/new"]
    assert row.stopped_early == (
        f"after {decision['asked']} of 164 tasks ({164 - decision['asked']} not asked), "
        f"layer code-generation {placed.layer} decided at 95%")

    # the same model measured on every task, in a store of its own
    full = f"sqlite:///{tmp_path / 'full.db'}"
    population(full)
    add_models(full, "p/new")
    store_run(full, "p/new", lambda _i, task: "passed" if key(task) else "failed")
    place_all(database_url=full)
    with Session(get_engine(full)) as s:
        reference = s.exec(select(Placement).where(Placement.model_id == "p/new")).one()
    assert placed.layer == reference.layer


def test_a_full_run_replaces_an_adaptive_score(database_url: str) -> None:
    run, wave, _ = _adaptive_layer(database_url, lambda task: task.endswith("0"))
    conclude_run(run, database_url=database_url, decision=wave.decisions[run.run_id])
    asked_before = {(r.task_id, r.sample_index) for r in run_samples(run.run_id, database_url)}
    # the same parameters without --adaptive: the same run, only the rest is asked
    params = AssessParams(benchmarks=["humaneval"])
    again = open_run("p/new", "humaneval", params, database_url=database_url)
    assert again.run_id == run.run_id
    rest, _ = run_waves(database_url, again, params, StoppingRules(budget_usd=100.0),
                        lambda task: task.endswith("0"))
    rows = run_samples(run.run_id, database_url)
    assert len(rows) == 164 and asked_before <= {(r.task_id, r.sample_index) for r in rows}
    assert conclude_run(again, database_url=database_url).status == RunStatus.COMPLETED
    with Session(get_engine(database_url)) as s:
        score = s.exec(select(BenchmarkScore).where(BenchmarkScore.model_id == "p/new")).one()
    assert score.adaptive is None and score.n_tasks == 164


def test_an_adaptive_run_never_replaces_a_score_of_every_task(database_url: str) -> None:
    population(database_url)
    # p/good again, adaptively, under another seed: another run of the same measurement
    params = AssessParams(benchmarks=["humaneval"], seed=7)
    run = open_run("p/good", "humaneval", params, database_url=database_url)
    wave, _ = run_waves(database_url, run, params, StoppingRules(adaptive=True),
                        lambda task: True)
    outcome = conclude_run(run, database_url=database_url, decision=wave.decisions[run.run_id])
    assert outcome.status == RunStatus.DECIDED
    assert "a score of every task of the same measurement stands" in outcome.reason
    with Session(get_engine(database_url)) as s:
        score = s.exec(select(BenchmarkScore).where(BenchmarkScore.model_id == "p/good")).one()
    assert score.adaptive is None and score.n_tasks == 164 and score.pass_at_1 == 120 / 164


def test_a_budget_stops_the_run_and_a_larger_one_continues_it(database_url: str) -> None:
    add_models(database_url, "p/m")
    params = AssessParams(benchmarks=["humaneval"], limit=40, shard_size=10)
    run = open_run("p/m", "humaneval", params, database_url=database_url)
    # each answer really costs $0.0005 (200 in at $1, 100 out at $2 per Mtok)
    cost = (200 * 1.0 + 100 * 2.0) / 1e6
    wave, waves = run_waves(database_url, run, params, StoppingRules(budget_usd=0.006),
                            lambda task: True, cost=cost)
    asked = len(run_samples(run.run_id, database_url))
    assert 0 < asked < 40 and waves >= 2  # a first wave of one shard, then the rest it pays
    assert asked * cost <= 0.006
    assert (asked + 1) * cost > 0.006 - 1e-12  # stopped at the budget, not before
    reason = wave.stopped[run.run_id]
    assert reason.startswith("budget $0.006 reached") and "larger --budget-usd" in reason
    outcome = conclude_run(run, database_url=database_url, stopped=reason)
    assert (outcome.status, outcome.reason) == (RunStatus.INCOMPLETE, reason)
    with Session(get_engine(database_url)) as s:
        assert s.exec(select(BenchmarkScore)).all() == []  # not scored, samples kept

    # a larger budget: the same run, every remaining sample once, none twice
    again = open_run("p/m", "humaneval", params, database_url=database_url)
    assert again.run_id == run.run_id
    wave, _ = run_waves(database_url, again, params, StoppingRules(budget_usd=1.0),
                        lambda task: True, cost=cost)
    assert len(run_samples(run.run_id, database_url)) == 40 and not wave.stopped
    assert conclude_run(again, database_url=database_url).status == RunStatus.COMPLETED


def test_a_model_without_a_price_cannot_keep_a_budget(database_url: str) -> None:
    add_models(database_url, "q/m")
    params = AssessParams(benchmarks=["humaneval"], limit=5)
    run = open_run("q/m", "humaneval", params, database_url=database_url)
    wave = plan_wave([run], params, StoppingRules(budget_usd=1.0), [], BOOK, PROTOCOL,
                     database_url=database_url)
    assert wave.empty
    assert wave.stopped[run.run_id].startswith("budget $1 cannot be kept: the price of q/m "
                                               "is unknown")


def test_the_run_key_is_the_runs_own(database_url: str) -> None:
    add_models(database_url, "p/m")
    params = AssessParams(benchmarks=["humaneval"], limit=3)
    run = open_run("p/m", "humaneval", params, database_url=database_url)
    from router.store.models import BenchmarkRun

    with Session(get_engine(database_url)) as s:
        assert s.get(BenchmarkRun, run.run_id).run_key == run_key(run, params)


@pytest.mark.parametrize("samples", [2])
def test_adaptive_needs_one_sample_and_the_placement_protocol(samples: int) -> None:
    from benchmarks.assessment.decide import check_adaptive
    from router.errors import InputError

    with pytest.raises(InputError, match="one sample per task"):
        check_adaptive(AssessParams(benchmarks=["humaneval"], samples=samples), PROTOCOL)
    with pytest.raises(InputError, match="would not be placed: smoke or partial run"):
        check_adaptive(AssessParams(benchmarks=["humaneval"], limit=3), PROTOCOL)
    check_adaptive(AssessParams(benchmarks=["humaneval"], limit=40),
                   PlacementProtocol(limit=40))


def test_two_benchmarks_of_one_category_share_alpha_and_decide_together(
        database_url: str, mbpp_fixture: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.assessment.decide import decide

    monkeypatch.setenv("ROUTERX_MBPP_PATH", str(mbpp_fixture))
    population(database_url)
    for model, k in SKILL.items():  # the population also has MBPP
        store_run(database_url, model, passing_first(1 if k < 100 else 2), benchmark="mbpp")
    place_all(database_url=database_url)
    add_models(database_url, "p/new")
    params = AssessParams(benchmarks=["humaneval", "mbpp"])
    runs = [open_run("p/new", b, params, database_url=database_url) for b in params.benchmarks]
    orders = {r.run_id: task_order(run_key(r, params), r.task_ids) for r in runs}
    he, mb = runs
    # every MBPP task answered, HumanEval's first wave along its order
    for run, tasks in ((mb, mb.task_ids), (he, orders[he.run_id][:ADAPTIVE_WAVE])):
        wave = Wave(items={run.run_id: [(t, 0) for t in tasks]})
        answer(database_url, run, wave, lambda t: False)
    decisions = decide("p/new", runs, orders, 0.95, PROTOCOL, database_url=database_url)
    assert [d.alpha for d in decisions.values()] == [0.025, 0.025]
    assert decisions[mb.run_id].count_interval == (0, 0)  # every task known
    assert decisions[he.run_id].asked == ADAPTIVE_WAVE
    low, high = decisions[he.run_id].count_interval
    assert low == 0 and 0 < high < 164
    # one category, one decision: both benchmarks stop together or not at all
    assert decisions[he.run_id].layers == decisions[mb.run_id].layers
