"""RoutingCore and the strategy chain; the simulation drives the same policy as Router."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from router.core import RoutingCore
from router.exploration import ExplorationStatus
from router.router import Router
from router.routing_settings import RouterConfig
from router.routing_table import RoutingTable
from router.selection import Selection
from router.strategies import CHAIN, RouteRequest, RoutingContext
from tests.router.routing_fixtures import CATEGORY, seed

ROOT = Path(__file__).resolve().parents[2]


def _core(active: bool = False, budget: float = 20.0, chain=CHAIN) -> RoutingCore:  # noqa: ANN001
    table = RoutingTable.build(
        {CATEGORY: ["a/one", "b/two", "c/gone"]},
        {"a/one": ("a", "assessed"), "b/two": ("b", "new"), "c/gone": ("c", "retired")},
        {(CATEGORY, "a/one"): 0.4, (CATEGORY, "b/two"): 0.9},
    )
    return RoutingCore(table, ExplorationStatus(active, "balanced", budget, 20.0),
                       rng=np.random.default_rng(0), discount=0.99,
                       default_category=CATEGORY, chain=chain)


def test_chain_order_and_reasons() -> None:
    core = _core()
    sel = core.route(CATEGORY)
    assert (sel.model, sel.strategy, sel.fallbacks) == ("a/one", "fallback-table", ("b/two",))
    core.set_exploration(ExplorationStatus(True, "balanced", 0.0, 20.0))
    sel = core.route(CATEGORY)
    # exploration answers first; warm start ranks b/two (pass rate 0.9) above a/one
    assert (sel.model, sel.strategy, sel.is_exploration) == ("b/two", "exploration", False)
    assert sel.reason.startswith("exploration (balanced, budget 0%): best posterior mean")


def test_a_strategy_added_ahead_of_the_chain_wins() -> None:
    class Pin:
        name = "pin"

        def select(self, request: RouteRequest, ctx: RoutingContext) -> Selection | None:
            return Selection("b/two", "b", (), False, "pinned by test", request.category,
                             self.name)

    sel = _core(active=True, chain=(Pin(), *CHAIN)).route(CATEGORY)
    assert (sel.model, sel.strategy) == ("b/two", "pin")


def test_excluded_models_are_never_offered_by_exploration() -> None:
    core = _core(active=True, budget=100.0)
    picks = {core.route(CATEGORY, exclude=["b/two"]).model for _ in range(200)}
    assert picks == {"a/one"}


def test_new_table_keeps_what_was_learned() -> None:
    core = _core()
    core.observe(CATEGORY, ["b/two"] * 3, np.array([1.0, 1.0, 0.0]))
    before = core.beliefs.belief(CATEGORY, "b/two")
    core.set_table(RoutingTable.build({CATEGORY: ["b/two"]}, {"b/two": ("b", "new")},
                                      {(CATEGORY, "b/two"): 0.9}))
    assert core.beliefs.belief(CATEGORY, "b/two") == before
    assert core.route(CATEGORY).fallbacks == ()


def _load_sim():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("sim_learning",
                                                  ROOT / "scripts" / "sim_learning.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["sim_learning"] = module
    spec.loader.exec_module(module)
    return module


def test_the_simulation_makes_the_same_choices_as_the_real_router(tmp_path: Path) -> None:
    """Same seed, same outcomes: the store-backed Router and the simulation's core agree
    route for route, so the regret the simulation reports is the router's."""
    sim = _load_sim()
    sc = sim.Scenario()
    core, ids, outcome_rng = sim.make_core(sc, 4, warm=True, discount=0.99)
    table = core.table.categories[CATEGORY]
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, {CATEGORY: [
        {"model": m, "layer": 1, "score": 1.0 - i / 100, "pass_rate": float(table.pass_rates[i])}
        for i, m in enumerate(table.models)]})
    real = Router(url, seed=4, config=RouterConfig(discount=0.99))
    real.activate("balanced", sc.budget, prior_strength=sc.strength)
    rates = dict(zip(ids, sc.rates(), strict=True))
    real_outcomes = np.random.default_rng(20_004)
    explored = 0
    for _ in range(300):
        a, b = core.route(CATEGORY), real.route(CATEGORY)
        assert (a.model, a.is_exploration) == (b.model, b.is_exploration)
        explored += a.is_exploration
        ok_sim = outcome_rng.random() < rates[a.model]
        ok_real = real_outcomes.random() < rates[b.model]
        core.observe(CATEGORY, [a.model], np.array([float(ok_sim)]))
        real.record(b, category=CATEGORY, success=bool(ok_real))
    assert 30 < explored < 90  # about 20% Thompson rounds


def test_simulation_report_shape(capsys: pytest.CaptureFixture[str]) -> None:
    sim = _load_sim()
    sim.main(["--seeds", "1", "--routes", "600", "--json"])
    report = json.loads(capsys.readouterr().out)
    regret = report["mean_regret"]
    assert regret["plan"] > regret["router"] and regret["plan"] > regret["uniform_ts"]
    assert set(report["targets"]) == {"router_vs_plan<=0.12", "warm_vs_uniform_ts<=0.7",
                                      "drift_abandoned_within_500"}
