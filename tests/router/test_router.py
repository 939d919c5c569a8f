"""router.Router end to end on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

import router
from router.errors import InputError, RoutingError, UnknownNameError
from router.outcomes import OutcomeRecord
from router.routing_settings import RouterConfig
from router.store import session_scope
from router.store.models import Model, ModelStatus, Outcome
from router.store.types import utcnow
from router.store.versions import CATALOG, bump_version
from tests.router.routing_fixtures import CATEGORY, doc, seed

M0, M1, M2 = "prov/model-0:8b", "prov/model-1:8b", "prov/model-2:8b"
NOW = RouterConfig(refresh_seconds=0)  # check the store on every route: sharing is visible


def _outcomes(url: str) -> list[Outcome]:
    with session_scope(url) as s:
        return list(s.exec(select(Outcome).order_by(Outcome.id)).all())


def test_exploration_off_serves_the_fallback_tables_first_model(database_url: str) -> None:
    seed(database_url, doc(3))
    sel = router.Router(database_url).route(CATEGORY)
    assert isinstance(sel, router.Selection)
    assert (sel.model, sel.provider, sel.fallbacks) == (M0, "prov", (M1, M2))
    assert not sel.is_exploration and sel.strategy == "fallback-table"
    assert "fallback table v1" in sel.reason
    assert sel.to_dict() == {"model": M0, "provider": "prov", "fallbacks": [M1, M2],
                             "is_exploration": False, "reason": sel.reason, "category": CATEGORY}


def test_provider_comes_from_the_catalogue_not_the_name(database_url: str) -> None:
    seed(database_url, {CATEGORY: [{"model": "groq/llama-3-70b", "layer": 1, "score": 1.0}]},
         models=[Model(id="groq/llama-3-70b", provider="my-gateway", name="llama-3-70b")])
    assert router.Router(database_url).route(CATEGORY).provider == "my-gateway"


def test_exclude(database_url: str) -> None:
    seed(database_url, doc(3))
    r = router.Router(database_url)
    sel = r.route(CATEGORY, exclude=[M0])
    assert (sel.model, sel.fallbacks) == (M1, (M2,))
    with pytest.raises(RoutingError, match="every candidate .* is excluded"):
        r.route(CATEGORY, exclude=[M0, M1, M2])


def test_unknown_category_uses_the_default_and_says_so(database_url: str) -> None:
    seed(database_url, doc(2))
    sel = router.Router(database_url).route("haiku-writing")
    assert sel.model == M0 and sel.category == CATEGORY
    assert sel.reason.startswith("category 'haiku-writing' is unknown, so the default "
                                 "category 'code-generation' answered")


def test_no_usable_model_is_an_error_never_an_invented_model(database_url: str) -> None:
    with pytest.raises(RoutingError, match="no placements for category 'x'"):
        router.Router(database_url).route("x")
    seed(database_url, doc(1, category="debugging"))
    r = router.Router(database_url, config=RouterConfig(default_category="debugging"))
    assert r.route("x").category == "debugging"
    r2 = router.Router(database_url, config=RouterConfig(default_category="nope"))
    with pytest.raises(RoutingError, match="known categories: debugging"):
        r2.route("x")


def test_retired_models_are_skipped_and_an_all_retired_category_explains(
    database_url: str,
) -> None:
    seed(database_url, doc(2))
    r = router.Router(database_url, config=NOW)
    with session_scope(database_url) as s:
        s.get(Model, M0).status = ModelStatus.RETIRED
        bump_version(s, CATALOG)
    assert r.route(CATEGORY).model == M1
    with session_scope(database_url) as s:
        s.get(Model, M1).status = ModelStatus.RETIRED
        bump_version(s, CATALOG)
    with pytest.raises(RoutingError, match=f"{M0} is retired; {M1} is retired"):
        r.route(CATEGORY)


def test_an_empty_category_routes_as_an_unknown_one(database_url: str) -> None:
    """`multi-file` redefined: the next placement empties its fallback table; its routes
    go to the default category with the reason saying so, never a hard failure."""
    from router.placements import write_fallback_table
    from router.store.models import Placement
    from router.store.versions import PLACEMENTS

    seed(database_url, doc(3))
    seed(database_url, doc(2, category="multi-file", prefix="lite"))
    r = router.Router(database_url, config=NOW)
    assert r.route("multi-file").model == "lite/model-0:8b"
    with session_scope(database_url) as s:  # what the placing step writes for it
        for row in s.exec(select(Placement).where(Placement.category == "multi-file")):
            s.delete(row)
        write_fallback_table(s, "multi-file", [])
        bump_version(s, PLACEMENTS)
    for task_id in (None, "t1"):
        sel = r.route("multi-file", task_id=task_id)
        assert (sel.model, sel.category, sel.fallbacks) == (M0, CATEGORY, (M1, M2))
        assert sel.reason.startswith(
            "category 'multi-file' has no usable model (its fallback table is empty), so the "
            "default category 'code-generation' answered; fallback table v1")
    r.record(M0, category=sel.category, success=True)  # the outcome goes to the default
    # every model retired: the same
    seed(database_url, doc(2, category="multi-file", prefix="lite"))
    with session_scope(database_url) as s:
        for i in range(2):
            s.get(Model, f"lite/model-{i}:8b").status = ModelStatus.RETIRED
        bump_version(s, CATALOG)
    assert r.route("multi-file").reason.startswith(
        "category 'multi-file' has no usable model (lite/model-0:8b is retired; lite/model-1:8b "
        "is retired), so the default category")
    # with the default category empty too, the error names both
    with session_scope(database_url) as s:
        for i in range(3):
            s.get(Model, f"prov/model-{i}:8b").status = ModelStatus.RETIRED
        bump_version(s, CATALOG)
    with pytest.raises(RoutingError, match="category 'multi-file' has no usable model .*, and "
                       "the default category 'code-generation' .* has no usable model either: "
                       "prov/model-0:8b is retired"):
        r.route("multi-file")
    with pytest.raises(RoutingError, match="category 'x' is unknown, and the default"):
        r.route("x")


def test_cache_refreshes_when_the_placements_version_moves(database_url: str) -> None:
    seed(database_url, doc(2))
    slow = router.Router(database_url, config=RouterConfig(refresh_seconds=3600))
    fast = router.Router(database_url, config=NOW)
    flipped = doc(2)
    flipped[CATEGORY][1]["score"] = 2.0  # model-1 now outranks model-0
    seed(database_url, flipped)
    assert fast.route(CATEGORY).model == M1
    assert slow.route(CATEGORY).model == M0  # cached until its next check...
    slow.refresh()
    assert slow.route(CATEGORY).model == M1  # ...which reloads


def test_record_stores_the_outcome_with_the_catalogue_provider(database_url: str) -> None:
    seed(database_url, doc(2))
    r = router.Router(database_url)
    r.activate("balanced", 100)
    sel = r.route(CATEGORY)
    assert sel.is_exploration
    oid = r.record(sel, category=CATEGORY, success=True, latency_ms=120.5, cost_usd=0.01,
                   tokens_in=10, tokens_out=20, task_id="t-1", complexity="low",
                   file_size=300, language="python")
    (row,) = _outcomes(database_url)
    assert row.id == oid and row.model_id == sel.model and row.provider == "prov"
    assert row.is_exploration and row.success and row.latency_ms == 120.5
    assert (row.task_id, row.language, row.file_size) == ("t-1", "python", 300)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"model": "nope/x"}, "unknown model 'nope/x'"),
    ({"category": "nope"}, "unknown category 'nope'"),
    ({"latency_ms": -1.0}, "latency_ms"),
    ({"accuracy": 1.5}, "accuracy"),
    ({"tokens_in": 2.5}, "tokens_in"),
    ({"success": "yes"}, "success"),
])
def test_bad_outcomes_are_refused_and_not_stored(
    database_url: str, kwargs: dict, message: str
) -> None:
    seed(database_url, doc(2))
    r = router.Router(database_url)
    args = {"model": M0, "category": CATEGORY, "success": True, **kwargs}
    with pytest.raises((InputError, UnknownNameError), match=message):
        r.record(args.pop("model"), **args)
    assert _outcomes(database_url) == []


def test_a_batch_is_all_or_nothing(database_url: str) -> None:
    seed(database_url, doc(2))
    r = router.Router(database_url)
    good = {"model": M0, "category": CATEGORY, "success": True}
    with pytest.raises(InputError, match="unknown model"):
        r.record_many([good, {**good, "model": "ghost/model"}])
    with pytest.raises(InputError, match="unknown field"):
        r.record_many([{**good, "sucess": True}])
    assert _outcomes(database_url) == []
    ids = r.record_many([good, OutcomeRecord(M1, CATEGORY, False)])
    assert [o.id for o in _outcomes(database_url)] == ids


def test_every_outcome_updates_the_posterior_not_only_exploration(database_url: str) -> None:
    """The original sketch learned only from exploration rounds."""
    seed(database_url, doc(2))
    r = router.Router(database_url, seed=1)
    before = r.belief(CATEGORY, M1)
    r.record(M1, category=CATEGORY, success=True, is_exploration=False)
    after = r.belief(CATEGORY, M1)
    assert after[0] == pytest.approx(before[0] * 1 + 1)  # first update: nothing to decay
    assert after[1] == pytest.approx(before[1])


def test_outcomes_move_the_exploitation_choice(database_url: str) -> None:
    seed(database_url, doc(3))
    r = router.Router(database_url, seed=3)
    r.activate("balanced", 0)  # exploitation only: best posterior mean
    assert r.route(CATEGORY).model == M0  # warm start: M0 has the best pass rate
    r.record_many([{"model": M0, "category": CATEGORY, "success": False}] * 30
                  + [{"model": M2, "category": CATEGORY, "success": True}] * 30)
    sel = r.route(CATEGORY)
    assert sel.model == M2 and not sel.is_exploration
    assert "best posterior mean" in sel.reason


def test_slow_expensive_successes_are_worth_less(database_url: str) -> None:
    seed(database_url, doc(2))
    r = router.Router(database_url)
    fast = {"model": M0, "category": CATEGORY, "success": True, "latency_ms": 100.0,
            "cost_usd": 0.001}
    slow = {"model": M1, "category": CATEGORY, "success": True, "latency_ms": 9000.0,
            "cost_usd": 0.5}
    r.record_many([fast, slow] * 20)
    a0, b0 = r.belief(CATEGORY, M0)
    a1, b1 = r.belief(CATEGORY, M1)
    assert a0 / (a0 + b0) > a1 / (a1 + b1)
    perf = {p.model: p for p in r.performance(CATEGORY)}
    assert perf[M1].latency_p50_ms == 9000.0 and perf[M0].success_rate == 1.0


def test_discounting_notices_a_model_that_got_worse(database_url: str) -> None:
    data = doc(1)
    data[CATEGORY][0]["pass_rate"] = None  # uniform prior: only outcomes speak
    seed(database_url, data)
    r = router.Router(database_url, config=RouterConfig(discount=0.9))
    r.record_many([{"model": M0, "category": CATEGORY, "success": True}] * 50)
    r.record_many([{"model": M0, "category": CATEGORY, "success": False}] * 30)
    a, b = r.belief(CATEGORY, M0)
    # 1 + s and 1 + f: s = 0.9^30 (1 - 0.9^50) / 0.1 = 0.42173, f = (1 - 0.9^30) / 0.1 = 9.57609
    assert (a, b) == pytest.approx((1.42173, 10.57609), abs=1e-4)
    never_forgets = router.Router(database_url, config=RouterConfig(discount=1.0))
    assert never_forgets.belief(CATEGORY, M0) == (51.0, 31.0)


def test_same_seed_same_routes(database_url: str) -> None:
    seed(database_url, doc(5))
    first = router.Router(database_url, seed=11)
    first.activate("aggressive", 60)
    second = router.Router(database_url, seed=11)
    a = [first.route(CATEGORY).model for _ in range(40)]
    b = [second.route(CATEGORY).model for _ in range(40)]
    assert a == b and len(set(a)) > 1


def test_outcomes_from_another_process_are_learned_once(database_url: str) -> None:
    seed(database_url, doc(2))
    server = router.Router(database_url, config=NOW)
    server.activate("balanced", 20)
    server.route(CATEGORY)  # exploring: the server replays the store and keeps up
    server.record(M0, category=CATEGORY, success=True)
    other = router.Router(database_url)  # e.g. a `routerx outcome` call
    other.record_many([{"model": M1, "category": CATEGORY, "success": True}] * 5)
    server.route(CATEGORY)
    server.route(CATEGORY)
    by_model = {p.model: p.attempts for p in server.performance()}
    assert by_model == {M0: 1, M1: 5}
    a, b = server.belief(CATEGORY, M1)
    fresh = router.Router(database_url)  # a restart rebuilds the same beliefs
    assert fresh.belief(CATEGORY, M1) == pytest.approx((a, b))


def test_start_loads_only_the_lookback_window(database_url: str) -> None:
    seed(database_url, doc(1))
    now = utcnow()
    with session_scope(database_url) as s:
        for days in (40, 1):
            s.add(Outcome(category=CATEGORY, model_id=M0, provider="prov", success=True,
                          latency_ms=float(days), recorded_at=now - timedelta(days=days)))
    (perf,) = router.Router(database_url).performance()
    assert perf.attempts == 1 and perf.latency_p50_ms == 1.0
    (perf,) = router.Router(database_url, config=RouterConfig(lookback_days=60)).performance()
    assert perf.attempts == 2


def test_a_store_outage_keeps_routing_from_the_cache(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    seed(database_url, doc(2))
    r = router.Router(database_url, config=NOW)

    def down(*_a: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(r, "_reload", down)
    assert r.route(CATEGORY).model == M0  # the periodic check fails quietly...
    with pytest.raises(OperationalError):
        r.refresh()  # ...an explicit refresh does not
