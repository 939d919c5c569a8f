"""Cost before and while asking: the dry run's estimate, budgets, adaptive stopping.

The loopback provider (benchmarks.simulated) answers with real reference solutions and
reports `usage` (characters / 4), priced by routerx.toml at $1 / $2 per million tokens.
"""

from __future__ import annotations

from sqlmodel import Session, func, select

from benchmarks.simulated import SimulatedModel, SimulatedProvider
from router.store import get_engine
from router.store.models import BenchmarkRun, SampleResult
from tests.flows.test_assess_flow import configure, discover

SOLVER = (SimulatedModel("solver", 1.0, 0.005),)


def _spent(model_id: str) -> tuple[int, float]:
    with Session(get_engine()) as s:
        n, cost = s.exec(select(func.count(), func.sum(SampleResult.cost_usd))
                         .join(BenchmarkRun, BenchmarkRun.id == SampleResult.run_id)
                         .where(BenchmarkRun.model_id == model_id)).one()
    return int(n), float(cost or 0.0)


def test_the_dry_run_is_within_a_quarter_of_the_measured_cost(prefect_harness, tmp_path
                                                              ) -> None:
    from flows.assess import assess

    with SimulatedProvider(SOLVER) as sim:
        configure(tmp_path, sim.base_url, placement_limit=20)
        (model,) = discover()
        plan = assess(models=[model], benchmarks=["humaneval"], limit=20, dry_run=True)
        assert _spent(model) == (0, 0.0)  # nothing was asked
        (estimate,) = plan["estimates"]
        assert estimate["requests"] == 20 and estimate["price_source"].startswith("routerx")
        assess(models=[model], benchmarks=["humaneval"], limit=20, report=False)
    asked, measured = _spent(model)
    assert asked == 20 and measured > 0
    assert abs(estimate["cost_usd"] - measured) / measured <= 0.25


def test_a_budget_stops_a_model_and_a_larger_budget_continues_without_asking_twice(
        prefect_harness, tmp_path) -> None:
    from flows.assess import assess

    with SimulatedProvider(SOLVER) as sim:
        configure(tmp_path, sim.base_url, placement_limit=20)
        (model,) = discover()
        first = assess(models=[model], benchmarks=["humaneval"], limit=20, shard_size=4,
                       budget_usd=0.003, report=False)
        run = first["models"][model]["runs"]["humaneval"]
        assert first["models"][model]["outcome"] == "incomplete"
        assert run["status"] == "incomplete" and run["reason"].startswith("budget $0.003")
        assert 0 < run["asked"] < 20 and run["not_asked"] == 20 - run["asked"]
        assert run["spent_usd"] <= 0.003 * 1.25  # the last wave's estimate may run over
        assert run["full_run_estimate_usd"] > 0.003
        second = assess(models=[model], benchmarks=["humaneval"], limit=20, shard_size=4,
                        budget_usd=1.0, report=False)
    assert second["models"][model]["outcome"] == "completed"
    assert second["models"][model]["runs"]["humaneval"]["run"] == run["run"]
    assert _spent(model)[0] == 20
    assert len(sim.asked) == 20 and set(sim.asked.values()) == {1}  # no sample asked twice


def test_adaptive_stops_once_the_layer_is_decided_and_a_full_run_replaces_it(
        prefect_harness, tmp_path) -> None:
    from flows.assess import assess

    population = (SimulatedModel("always", 1.0, 0.002), SimulatedModel("half", 0.5, 0.002),
                  SimulatedModel("never", 0.0, 0.002))
    with SimulatedProvider(population + (SimulatedModel("zero", 0.0, 0.002),)) as sim:
        configure(tmp_path, sim.base_url, placement_limit=40)
        discover()
        assess(models=[f"simulated/{m.name}" for m in population], benchmarks=["humaneval"],
               limit=40, report=False)
        new = "simulated/zero"
        result = assess(models=[new], benchmarks=["humaneval"], limit=40, adaptive=True,
                        report=False)
        mine = result["models"][new]
        run, score = mine["runs"]["humaneval"], mine["benchmarks"]["humaneval"]
        assert mine["outcome"] == "decided" and run["status"] == "decided"
        assert mine["status"] == "assessed" and mine["reason"] is None
        decided = score["adaptive"]
        assert decided["asked"] == run["asked"] < 40 and run["not_asked"] == 40 - run["asked"]
        assert decided["confidence"] == 0.95
        assert mine["placements"]["code-generation"] == decided["layers"]["code-generation"]
        assert run["spent_usd"] < run["full_run_estimate_usd"]
        full = assess(models=[new], benchmarks=["humaneval"], limit=40, report=False)
    mine = full["models"][new]
    assert mine["outcome"] == "completed" and mine["benchmarks"]["humaneval"]["adaptive"] is None
    assert mine["placements"] == {"code-generation": decided["layers"]["code-generation"]}
    assert len([k for k in sim.asked if k[0] == "zero"]) == 40
    assert set(sim.asked.values()) == {1}
