"""Task stickiness and reversion: the strategy alone, then in the chain, then shared
through the store by two routers (SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest

from router.core import RoutingCore
from router.errors import RoutingError
from router.exploration import ExplorationStatus
from router.router import Router
from router.routing_settings import RouterConfig
from router.routing_table import RoutingTable
from router.strategies import CHAIN
from router.strategies.stickiness import TaskStickinessStrategy
from router.task_assignments import TaskSnapshot
from tests.router.routing_fixtures import CATEGORY, doc, seed

A, B, C, D = "p/a", "p/b", "p/c", "p/d"
NOW = RouterConfig(refresh_seconds=0)


def _core(chain=CHAIN, active: bool = False, budget: float = 0.0) -> RoutingCore:  # noqa: ANN001
    table = RoutingTable.build(
        {CATEGORY: [A, B, C, D]},
        {m: ("p", "assessed") for m in (A, B, C, D)},
        # warm start: C is believed best, then B, A, D
        {(CATEGORY, A): 0.5, (CATEGORY, B): 0.7, (CATEGORY, C): 0.9, (CATEGORY, D): 0.2},
    )
    return RoutingCore(table, ExplorationStatus(active, "balanced", budget, 20.0),
                       rng=np.random.default_rng(0), discount=0.99,
                       default_category=CATEGORY, chain=chain)


def _task(model: str | None, *, failures: int = 0, failed: tuple[str, ...] = (),
          revert: bool = False, explored: bool = False) -> TaskSnapshot:
    return TaskSnapshot("t1", CATEGORY, model, "exploration" if explored else "fallback-table",
                        explored, revert, failures, failed)


ALONE = (TaskStickinessStrategy(),)


# -- the strategy alone ----------------------------------------------------------------


def test_no_task_passes_and_a_sticky_task_keeps_its_model() -> None:
    core = _core(chain=ALONE)
    with pytest.raises(RoutingError, match="no strategy could route"):
        core.route(CATEGORY)
    sel = core.route(CATEGORY, task_id="t1", task=_task(D, explored=True))
    assert (sel.model, sel.strategy, sel.is_exploration) == (D, "task-stickiness", True)
    assert sel.reason.startswith("sticky: task 't1' keeps p/d (chosen by exploration)")
    # one failure in a row (below the threshold of 2) keeps it too
    sel = core.route(CATEGORY, task_id="t1", task=_task(D, failures=1, failed=(D,)))
    assert sel.model == D and "1 failure(s) in a row; it moves on after 2" in sel.reason


def test_failed_exploration_choice_reverts_to_the_best_known_model() -> None:
    core = _core(chain=ALONE)
    sel = core.route(CATEGORY, task_id="t1",
                     task=_task(D, failures=1, failed=(D,), revert=True, explored=True))
    assert (sel.model, sel.is_exploration) == (C, False)  # C has the best posterior mean
    assert sel.reason.startswith("reverted: exploration's choice p/d failed on task 't1'")
    # the best-known model is one the task has not failed with
    sel = core.route(CATEGORY, task_id="t1",
                     task=_task(D, failures=1, failed=(C, D), revert=True, explored=True))
    assert sel.model == B


def test_stuck_task_walks_the_fallback_chain_skipping_failed_models() -> None:
    core = _core(chain=ALONE)
    sel = core.route(CATEGORY, task_id="t1", task=_task(A, failures=2, failed=(A,)))
    assert sel.model == B and "failed 2 times in a row with p/a" in sel.reason
    sel = core.route(CATEGORY, task_id="t1", task=_task(C, failures=2, failed=(A, B, C)))
    assert (sel.model, sel.fallbacks) == (D, (A, B, C))
    core.stuck_after = 3
    assert core.route(CATEGORY, task_id="t1", task=_task(A, failures=2, failed=(A,))).model == A
    with pytest.raises(RoutingError, match="has failed with every candidate"):
        core.route(CATEGORY, task_id="t1", task=_task(D, failures=3, failed=(A, B, C, D)))


def test_later_strategies_never_offer_a_model_the_task_failed_with() -> None:
    core = _core()
    # its model is excluded by the caller, so the chain goes on: not to A, which failed
    sel = core.route(CATEGORY, [B], task_id="t1", task=_task(B, failed=(A,)))
    assert (sel.model, sel.strategy) == (C, "fallback-table")


# -- through Router and the store ------------------------------------------------------


def test_sticky_task_keeps_an_exploration_choice_that_succeeds(database_url: str) -> None:
    seed(database_url, doc(6))
    r = Router(database_url, seed=3, config=NOW)
    r.activate("balanced", budget=100)  # every fresh route is a Thompson round
    first = r.route(CATEGORY, task_id="t1")
    assert first.is_exploration and first.strategy == "exploration"
    for _ in range(5):
        again = r.route(CATEGORY, task_id="t1")
        assert (again.model, again.strategy) == (first.model, "task-stickiness")
        r.record(again, category=CATEGORY, success=True, task_id="t1")
    # without a task id the same router keeps exploring
    assert len({r.route(CATEGORY).model for _ in range(40)}) > 1


def test_failed_exploration_choice_reverts_in_another_router(database_url: str) -> None:
    seed(database_url, doc(6))
    r1 = Router(database_url, seed=5, config=NOW)
    r1.activate("balanced", budget=100)
    r2 = Router(database_url, seed=6, config=NOW)
    first = r1.route(CATEGORY, task_id="t1")
    assert first.is_exploration
    r2.record(first, category=CATEGORY, success=False, task_id="t1")
    sel = r2.route(CATEGORY, task_id="t1")
    assert "reverted" in sel.reason and sel.strategy == "task-stickiness"
    assert sel.model != first.model and not sel.is_exploration
    # the best-known model: highest posterior mean among the models t1 has not failed with
    beliefs = r2.core.beliefs.category(CATEGORY)
    models = r2.table.categories[CATEGORY].models
    means = {m: float(beliefs.mean[i]) for i, m in enumerate(models) if m != first.model}
    assert sel.model == max(means, key=means.__getitem__)
    # the reverted model then sticks, in either router, and a success keeps it
    assert r1.route(CATEGORY, task_id="t1").model == sel.model
    r1.record(sel, category=CATEGORY, success=True, task_id="t1")
    again = r2.route(CATEGORY, task_id="t1")
    assert (again.model, again.reason.startswith("sticky")) == (sel.model, True)


def test_two_failures_walk_the_chain_and_never_return(database_url: str) -> None:
    seed(database_url, doc(4))
    m = [f"prov/model-{i}:8b" for i in range(4)]
    r1 = Router(database_url, config=NOW)
    r2 = Router(database_url, config=NOW)  # a second router process on the same store
    seen = []
    for step in range(4):
        sel = (r1, r2)[step % 2].route(CATEGORY, task_id="bug-42")
        seen.append(sel.model)
        assert sel.model not in seen[:-1]  # never back to a model the task failed with
        assert sel.model == m[step]
        if step:
            assert "failed 2 times in a row" in sel.reason
        # the first failure keeps the model, the second moves the task on
        r2.record(sel, category=CATEGORY, success=False, task_id="bug-42")
        assert r1.route(CATEGORY, task_id="bug-42").model == m[step]
        r1.record(sel, category=CATEGORY, success=False, task_id="bug-42")
    with pytest.raises(RoutingError, match="'bug-42' has failed with every candidate"):
        r2.route(CATEGORY, task_id="bug-42")
    # other tasks and routes without a task are untouched
    assert r2.route(CATEGORY, task_id="other").model == m[0]
    assert r2.route(CATEGORY).model == m[0]


def test_stuck_threshold_is_configurable(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(database_url, doc(3))
    monkeypatch.setenv("ROUTERX_STUCK_AFTER", "1")
    from router.routing_settings import load_router_config

    r = Router(database_url, config=load_router_config(refresh_seconds=0))
    sel = r.route(CATEGORY, task_id="t")
    r.record(sel, category=CATEGORY, success=False, task_id="t")
    assert r.route(CATEGORY, task_id="t").model == "prov/model-1:8b"


def test_a_success_resets_the_run_of_failures(database_url: str) -> None:
    seed(database_url, doc(3))
    r = Router(database_url, config=NOW)
    sel = r.route(CATEGORY, task_id="t")
    for ok in (False, True, False):
        r.record(sel, category=CATEGORY, success=ok, task_id="t")
    assert r.route(CATEGORY, task_id="t").model == sel.model  # not two in a row


def test_task_route_survives_an_unreachable_store(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    seed(url, doc(3))
    r = Router(url, config=RouterConfig(refresh_seconds=3600))
    assert r.route(CATEGORY, task_id="t").model == "prov/model-0:8b"
    with r._engine.begin() as conn:  # the task table vanishes (a broken store)
        conn.exec_driver_sql("DROP TABLE task_state")
    sel = r.route(CATEGORY, task_id="t")
    assert (sel.model, sel.strategy) == ("prov/model-0:8b", "fallback-table")
