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
