"""Operator pins and exclusions: the strategies alone, in the chain, in the store
(SQLite and PostgreSQL) shared by two routers, and through the CLI and the HTTP API."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from router.api import create_app
from router.core import RoutingCore
from router.errors import InputError, RoutingError, UnknownNameError
from router.exploration import ExplorationStatus
from router.pins import PinBook, PinEntry, list_pins, load_pin_book, set_pin
from router.router import Router
from router.routing_settings import RouterConfig
from router.routing_table import RoutingTable
from router.store import session_scope
from router.store.models import Model, ModelStatus
from router.store.versions import PINS, read_versions
from router.strategies import CHAIN
from router.strategies.exploration import ExplorationStrategy
from router.strategies.pins import CategoryPinStrategy, TaskPinStrategy
from router.strategies.stickiness import TaskStickinessStrategy
from router.task_assignments import TaskSnapshot
from tests.router.routing_fixtures import CATEGORY, doc, run_main, seed

A, B, C, X = "p/a", "p/b", "p/c", "q/outside"
M0, M1, M2 = "prov/model-0:8b", "prov/model-1:8b", "prov/model-2:8b"
NOW = RouterConfig(refresh_seconds=0)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _pin(model: str, task_id: str | None = None, expires: datetime | None = None) -> PinEntry:
    return PinEntry(CATEGORY, model, task_id, expires, T0, None, None,
                    float("inf") if expires is None else expires.timestamp())


def _core(pins: PinBook, chain=CHAIN, budget: float = 100.0) -> RoutingCore:  # noqa: ANN001
    table = RoutingTable.build(
        {CATEGORY: [A, B, C]},
        {A: ("p", "assessed"), B: ("p", "assessed"), C: ("p", "assessed"), X: ("q", "new")},
        {(CATEGORY, A): 0.2, (CATEGORY, B): 0.5, (CATEGORY, C): 0.9},
    )
    core = RoutingCore(table, ExplorationStatus(budget > 0, "balanced", budget, 20.0),
                       rng=np.random.default_rng(0), discount=0.99,
                       default_category=CATEGORY, chain=chain)
    core.set_pins(pins)
    return core


# -- the strategies alone --------------------------------------------------------------


def test_category_pin_alone() -> None:
    core = _core(PinBook({CATEGORY: _pin(B)}), chain=(CategoryPinStrategy(),))
    sel = core.route(CATEGORY)
    assert (sel.model, sel.strategy, sel.fallbacks) == (B, "category-pin", (A, C))
    assert sel.reason == "operator pin on category 'code-generation'"
    with pytest.raises(RoutingError, match="no strategy"):  # excluded: it passes
        core.route(CATEGORY, [B])
    with pytest.raises(RoutingError, match="no strategy"):  # no pins: it passes
        _core(PinBook(), chain=(CategoryPinStrategy(),)).route(CATEGORY)


def test_pinned_model_outside_the_fallback_table_is_served_with_the_table_after_it() -> None:
    sel = _core(PinBook({CATEGORY: _pin(X)}), chain=(CategoryPinStrategy(),)).route(CATEGORY)
    assert (sel.model, sel.provider, sel.fallbacks) == (X, "q", (A, B, C))
    assert "not in the category's fallback table" in sel.reason


def test_task_pin_alone_applies_to_its_task_only() -> None:
    core = _core(PinBook(tasks={(CATEGORY, "t1"): _pin(C, "t1")}), chain=(TaskPinStrategy(),))
    sel = core.route(CATEGORY, task_id="t1")
    assert (sel.model, sel.strategy) == (C, "task-pin")
    assert sel.reason.startswith("operator pin on task 't1' of 'code-generation'")
    for task in (None, "t2"):
        with pytest.raises(RoutingError, match="no strategy"):
            core.route(CATEGORY, task_id=task)


def test_expired_pin_no_longer_applies() -> None:
    past = datetime.fromtimestamp(time.time() - 1, UTC)
    core = _core(PinBook({CATEGORY: _pin(B, expires=past)}), budget=0)
    assert core.route(CATEGORY).strategy == "fallback-table"
    future = datetime.fromtimestamp(time.time() + 3600, UTC)
    core.set_pins(PinBook({CATEGORY: _pin(B, expires=future)}))
    assert core.route(CATEGORY).strategy == "category-pin"


# -- the chain -------------------------------------------------------------------------


def test_pin_beats_exploration_and_task_pin_beats_category_pin() -> None:
    unpinned = _core(PinBook())
    assert {unpinned.route(CATEGORY).strategy for _ in range(20)} == {"exploration"}
    core = _core(PinBook({CATEGORY: _pin(A)}, {(CATEGORY, "t1"): _pin(B, "t1")}))
    for _ in range(20):  # every route a Thompson round, were it asked
        assert (core.route(CATEGORY).model, core.route(CATEGORY).strategy) == (A, "category-pin")
    sticky = TaskSnapshot("t1", CATEGORY, C, "exploration", True, False, 0, ())
    sel = core.route(CATEGORY, task_id="t1", task=sticky)
    assert (sel.model, sel.strategy) == (B, "task-pin")  # beats the category pin and stickiness
    sel = core.route(CATEGORY, task_id="t2", task=sticky)
    assert (sel.model, sel.strategy) == (A, "category-pin")  # a pin beats stickiness too


# -- the store -------------------------------------------------------------------------


def test_pins_are_shared_by_routers_and_bump_the_version(database_url: str) -> None:
    seed(database_url, doc(3))
    r1 = Router(database_url, seed=1, config=NOW)
    r1.activate("balanced", budget=100)
    r2 = Router(database_url, seed=2, config=NOW)
    before = _version(database_url)
    entry = r1.pin(CATEGORY, M2, duration=timedelta(hours=1), note="incident 7")
    assert _version(database_url) == before + 1
    assert entry.expires_at is not None and entry.expires_at > entry.created_at
    sel = r2.route(CATEGORY)
    assert (sel.model, sel.strategy, sel.is_exploration) == (M2, "category-pin", False)
    assert sel.reason.endswith("(incident 7)")
    r2.pin(CATEGORY, M1, task_id="t9")
    assert r1.route(CATEGORY, task_id="t9").model == M1
    assert r1.route(CATEGORY, task_id="t8").model == M2
    r2.unpin(CATEGORY)
    assert r1.route(CATEGORY).strategy == "exploration"
    with pytest.raises(InputError, match="no pin on category"):
        r2.unpin(CATEGORY)
    # a later Router (a restart) still sees the task pin
    assert Router(database_url, config=NOW).route(CATEGORY, task_id="t9").strategy == "task-pin"


def _version(url: str) -> int:
    with session_scope(url) as s:
        return read_versions(s, [PINS])[PINS]


def test_expired_pin_is_ignored_listed_no_more_and_purged(database_url: str) -> None:
    seed(database_url, doc(3))
    with session_scope(database_url) as s:
        set_pin(s, CATEGORY, M1, duration=timedelta(minutes=5),
                now=datetime.now(UTC) - timedelta(hours=1))
    with session_scope(database_url) as s:
        assert list_pins(s) == [] and not load_pin_book(s)
    r = Router(database_url, config=NOW)
    assert r.route(CATEGORY).model == M0
    r.pin(CATEGORY, M2, task_id="t")  # a write purges expired pins
    with session_scope(database_url) as s:
        assert [p.model for p in list_pins(s, now=datetime.now(UTC) - timedelta(days=1))] == [M2]


def test_pinning_an_unknown_or_retired_model_is_refused(database_url: str) -> None:
    seed(database_url, doc(3), models=[Model(id="x/old", provider="x", name="old",
                                             status=ModelStatus.RETIRED)])
    r = Router(database_url, config=NOW)
    with pytest.raises(InputError, match="'nope/model': it is not in the catalogue"):
        r.pin(CATEGORY, "nope/model")
    with pytest.raises(InputError, match="'x/old': it is retired"):
        r.pin(CATEGORY, "x/old")
    with pytest.raises(UnknownNameError, match="unknown category 'poems'"):
        r.pin("poems", M1)
    with pytest.raises(InputError, match="must be positive"):
        r.pin(CATEGORY, M1, duration=timedelta(0))
    assert _version(database_url) == 0  # nothing was written


def test_a_pinned_model_retired_later_stops_applying(database_url: str) -> None:
    seed(database_url, doc(3))
    r = Router(database_url, config=NOW)
    r.pin(CATEGORY, M2)
    with session_scope(database_url) as s:
        model = s.exec(select(Model).where(Model.id == M2)).one()
        model.status = ModelStatus.RETIRED
        s.add(model)
        from router.store.versions import CATALOG, bump_version

        bump_version(s, CATALOG)
    assert r.route(CATEGORY).strategy == "fallback-table"


# -- the CLI ---------------------------------------------------------------------------


def test_cli_pin_list_unpin(monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    seed(None, doc(3))
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--category", CATEGORY, "--model", M1,
                            "--for", "2h", "--json")
    assert code == 0 and json.loads(out)["model"] == M1
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--category", CATEGORY, "--model", M2,
                            "--task-id", "t1")
    assert code == 0 and "pinned prov/model-2:8b" in out
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--list", "--json")
    pins = json.loads(out)["pins"]
    assert [(p["model"], p["task_id"]) for p in pins] == [(M1, None), (M2, "t1")]
    assert pins[0]["expires_at"] is not None and pins[1]["expires_at"] is None
    code, out, _ = run_main(monkeypatch, capsys, "route", "--category", CATEGORY,
                            "--task-id", "t1", "--json")
    assert json.loads(out)["model"] == M2
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--list")
    assert "prov/model-1:8b" in out and "t1" in out
    assert run_main(monkeypatch, capsys, "unpin", "--category", CATEGORY)[0] == 0
    code, out, _ = run_main(monkeypatch, capsys, "route", "--category", CATEGORY, "--json")
    assert json.loads(out)["model"] == M0


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "nope/x", "--category", CATEGORY], "not in the catalogue"),
    (["--model", M1, "--category", CATEGORY, "--for", "soon"], "cannot read duration"),
    (["--model", M1], "needs --category and --model"),
])
def test_cli_mistakes_are_one_line(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str],
                                   args: list[str], message: str) -> None:
    seed(None, doc(3))
    code, out, err = run_main(monkeypatch, capsys, "pin", *args)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_cli_outcome_with_task_id_moves_a_stuck_task(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(None, doc(3))
    route = ("route", "--category", CATEGORY, "--task-id", "t1", "--json")
    assert json.loads(run_main(monkeypatch, capsys, *route)[1])["model"] == M0
    for _ in range(2):
        code, _, err = run_main(monkeypatch, capsys, "outcome", "--model", M0, "--category",
                                CATEGORY, "--success", "false", "--task-id", "t1")
        assert code == 0, err
    assert json.loads(run_main(monkeypatch, capsys, *route)[1])["model"] == M1


# -- HTTP ------------------------------------------------------------------------------


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    seed(database_url, doc(3))
    with TestClient(create_app(database_url=database_url)) as c:
        yield c


def test_http_pins_and_task_routes(client: TestClient) -> None:
    got = client.post("/v1/pins", json={"category": CATEGORY, "model": M1, "duration": "1h"})
    assert got.status_code == 201 and got.json()["model"] == M1
    route = client.get("/v1/route", params={"category": CATEGORY}).json()
    assert route["model"] == M1 and "operator pin" in route["reason"]
    assert [p["model"] for p in client.get("/v1/pins").json()["pins"]] == [M1]
    assert client.delete("/v1/pins", params={"category": CATEGORY}).status_code == 200
    assert client.delete("/v1/pins", params={"category": CATEGORY}).status_code == 404
    refused = client.post("/v1/pins", json={"category": CATEGORY, "model": "nope/x"})
    assert refused.status_code == 422 and "not in the catalogue" in refused.json()["detail"]
    # a task's route goes through the endpoint (the fast path hands it over)
    params = {"category": CATEGORY, "task_id": "t1"}
    assert client.get("/v1/route", params=params).json()["model"] == M0
    for _ in range(2):
        posted = client.post("/v1/outcomes", json={"model": M0, "category": CATEGORY,
                                                   "success": False, "task_id": "t1"})
        assert posted.status_code == 201
    moved = client.get("/v1/route", params=params).json()
    assert moved["model"] == M1 and "failed 2 times in a row" in moved["reason"]
    assert client.get("/v1/route", params={"category": CATEGORY}).json()["model"] == M0


# -- exclusions (an operator pins a model out) -----------------------------------------


def _excluding(excluded: dict[str, frozenset[str]], pins: PinBook | None = None,
               chain=CHAIN, budget: float = 100.0) -> RoutingCore:  # noqa: ANN001
    table = RoutingTable.build(
        {CATEGORY: [A, B, C], "debugging": [A, B]},
        {A: ("p", "assessed"), B: ("p", "assessed"), C: ("p", "assessed"), X: ("q", "new")},
        {(CATEGORY, A): 0.2, (CATEGORY, B): 0.5, (CATEGORY, C): 0.9},
        excluded=excluded,
    )
    core = RoutingCore(table, ExplorationStatus(budget > 0, "balanced", budget, 20.0),
                       rng=np.random.default_rng(0), discount=0.99,
                       default_category=CATEGORY, chain=chain)
    core.set_pins(pins or PinBook())
    return core


def test_an_excluded_model_leaves_its_category_and_no_other() -> None:
    core = _excluding({CATEGORY: frozenset({A})}, budget=0)
    table = core.table.categories[CATEGORY]
    assert (table.models, table.pinned_out) == ((B, C), frozenset({A}))
    assert (A, "excluded by an operator") in table.skipped
    sel = core.route(CATEGORY)
    assert (sel.model, sel.fallbacks, sel.strategy) == (B, (C,), "fallback-table")
    assert sel.reason.endswith("first usable model (excluded by an operator: p/a)")
    assert core.route("debugging").model == A  # the exclusion names one category
    everywhere = _excluding({"*": frozenset({A})}, budget=0)
    assert everywhere.route("debugging").model == B
    assert everywhere.table.categories["debugging"].pinned_out == frozenset({A})


def test_exploration_never_serves_an_excluded_model() -> None:
    core = _excluding({CATEGORY: frozenset({C})}, chain=(ExplorationStrategy(),))
    seen = {core.route(CATEGORY).model for _ in range(300)}  # every route a Thompson round
    assert seen == {A, B}
    unexcluded = _excluding({}, chain=(ExplorationStrategy(),))
    assert C in {unexcluded.route(CATEGORY).model for _ in range(300)}  # C could be drawn


def test_a_task_on_an_excluded_model_moves_to_the_next_one() -> None:
    core = _excluding({CATEGORY: frozenset({B})}, chain=(TaskStickinessStrategy(),))
    sticky = TaskSnapshot("t1", CATEGORY, B, "fallback-table", False, False, 0, ())
    sel = core.route(CATEGORY, task_id="t1", task=sticky)
    assert (sel.model, sel.strategy, sel.fallbacks) == (A, "task-stickiness", (C,))
    assert sel.reason == ("task 't1' was on p/b, which an operator excluded from "
                          "'code-generation': next model of the fallback chain it has not "
                          "failed with")
    failed_a = TaskSnapshot("t1", CATEGORY, B, "fallback-table", False, False, 0, (A,))
    assert core.route(CATEGORY, task_id="t1", task=failed_a).model == C
    with pytest.raises(RoutingError, match="has failed with every candidate"):
        core.route(CATEGORY, task_id="t1",
                   task=TaskSnapshot("t1", CATEGORY, B, None, False, False, 0, (A, C)))


def test_the_whole_chain_never_serves_an_excluded_model() -> None:
    """Pins (on another model), stickiness, exploration and the fallback table together."""
    pins = PinBook({"debugging": _pin(B)}, {(CATEGORY, "t-pinned"): _pin(C, "t-pinned")})
    core = _excluding({CATEGORY: frozenset({A}), "*": frozenset({X})}, pins)
    on_a = TaskSnapshot("t1", CATEGORY, A, "exploration", True, False, 0, ())
    served = set()
    for i in range(200):
        served.add(core.route(CATEGORY).model)
        served.add(core.route(CATEGORY, task_id="t1", task=on_a).model)
        served.add(core.route(CATEGORY, task_id=f"new-{i}").model)
        served.add(core.route(CATEGORY, task_id="t-pinned").model)
    assert served == {B, C}


def test_exclusions_are_shared_by_routers_and_lifted(database_url: str) -> None:
    seed(database_url, doc(3))
    r1 = Router(database_url, seed=1, config=NOW)
    r2 = Router(database_url, seed=2, config=NOW)
    r2.activate("balanced", budget=100)
    before = _version(database_url)
    entry = r1.exclude(CATEGORY, M0, note="incident 9")
    assert _version(database_url) == before + 1
    assert (entry.kind, entry.model, entry.category, entry.task_id) == ("exclude", M0,
                                                                          CATEGORY, None)
    assert {r2.route(CATEGORY).model for _ in range(100)} == {M1, M2}
    assert r1.route(CATEGORY).model == M1
    assert M0 not in r1.route(CATEGORY).fallbacks
    r1.unexclude(CATEGORY, M0)
    assert M0 in {r2.route(CATEGORY).model for _ in range(100)}
    with pytest.raises(InputError, match="no exclusion of 'prov/model-0:8b' from category"):
        r1.unexclude(CATEGORY, M0)
    # every category, including one placed after the exclusion
    r1.exclude(None, M0)
    seed(database_url, doc(2, category="debugging"))
    assert r2.route("debugging").model == M1
    assert Router(database_url, config=NOW).route("debugging").model == M1  # a restart


def test_a_task_stuck_on_a_model_moves_when_another_router_excludes_it(
    database_url: str,
) -> None:
    seed(database_url, doc(3))
    serving = Router(database_url, seed=1, config=NOW)
    assert serving.route(CATEGORY, task_id="t1").model == M0
    serving.record(M0, category=CATEGORY, success=True, task_id="t1")
    assert serving.route(CATEGORY, task_id="t1").strategy == "task-stickiness"
    Router(database_url, config=NOW).exclude(CATEGORY, M0)  # e.g. `routerx pin --exclude`
    moved = serving.route(CATEGORY, task_id="t1")
    assert (moved.model, moved.strategy) == (M1, "task-stickiness")
    assert "which an operator excluded" in moved.reason
    assert serving.route(CATEGORY, task_id="t1").reason.startswith("sticky: task 't1' keeps "
                                                                   f"{M1}")


def test_an_exclusion_expires_without_a_store_write(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(database_url, doc(3))
    r = Router(database_url, config=NOW)
    r.exclude(CATEGORY, M0, duration=timedelta(hours=2))
    assert r.route(CATEGORY).model == M1
    later = datetime.now(UTC) + timedelta(hours=3)
    monkeypatch.setattr("router.router.utcnow", lambda: later)
    monkeypatch.setattr("router.routing_table.utcnow", lambda: later)
    sel = r.route(CATEGORY)  # no version counter moved: the table's expiry reloads it
    assert (sel.model, sel.reason.endswith("first usable model")) == (M0, True)


def test_excluding_a_pinned_model_and_pinning_an_excluded_one_are_refused(
    database_url: str,
) -> None:
    seed(database_url, doc(3))
    seed(database_url, doc(3, category="debugging"))
    r = Router(database_url, config=NOW)
    r.pin(CATEGORY, M1, task_id="t 7")
    with pytest.raises(InputError, match=r"cannot exclude 'prov/model-1:8b' from category "
                       r"'code-generation': the operator pin on task 't 7' of "
                       r"'code-generation' serves it; remove that pin first with "
                       r"`routerx unpin --category code-generation --task-id 't 7'`"):
        r.exclude(CATEGORY, M1)
    with pytest.raises(InputError, match="from every category: the operator pin"):
        r.exclude(None, M1)
    r.exclude("debugging", M1)  # no pin serves it there
    with pytest.raises(InputError, match=r"cannot pin 'prov/model-1:8b' on category "
                       r"'debugging': an operator excluded it from category 'debugging'; lift "
                       r"that first with `routerx unpin --category debugging --exclude "):
        r.pin("debugging", M1)
    r.exclude(None, M2)
    with pytest.raises(InputError, match="excluded it from every category; lift that first "
                       "with `routerx unpin --all-categories --exclude prov/model-2:8b`"):
        r.pin(CATEGORY, M2, task_id="t8")
    with pytest.raises(InputError, match="'nope/x': it is not in the catalogue"):
        r.exclude(CATEGORY, "nope/x")
    with pytest.raises(UnknownNameError, match="unknown category 'poems'"):
        r.exclude("poems", M0)
    with pytest.raises(InputError, match="must be positive"):
        r.exclude(CATEGORY, M0, duration=timedelta(0))
    with session_scope(database_url) as s:
        kinds = [(p.kind, p.category, p.model) for p in list_pins(s)]
    assert kinds == [("exclude", "*", M2), ("pin", CATEGORY, M1), ("exclude", "debugging", M1)]


def test_a_pin_on_an_emptied_category_is_refused(database_url: str) -> None:
    seed(database_url, doc(3))
    seed(database_url, doc(1, category="debugging"))
    r = Router(database_url, config=NOW)
    r.exclude("debugging", M0)
    with pytest.raises(InputError, match="cannot pin category 'debugging': it has no usable "
                       r"model \(prov/model-0:8b is excluded by an operator\)"):
        r.pin("debugging", M1)
    sel = r.route("debugging")
    assert (sel.model, sel.category) == (M0, CATEGORY)


def test_a_pin_on_a_model_excluded_after_it_stops_applying(database_url: str) -> None:
    """Written by two processes at once, a pin and an exclusion of the same model can
    both land; the exclusion wins."""
    seed(database_url, doc(3))
    r = Router(database_url, config=NOW)
    r.pin(CATEGORY, M2)
    with session_scope(database_url) as s:
        from router.store.models import Pin, PinKind

        s.add(Pin(category=CATEGORY, model_id=M2, kind=PinKind.EXCLUDE))
        from router.store.versions import bump_version

        bump_version(s, PINS)
    with session_scope(database_url) as s:
        assert not load_pin_book(s)
    sel = r.route(CATEGORY)
    assert (sel.model, sel.strategy) == (M0, "fallback-table")


def test_cli_exclude_list_unpin(monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    seed(None, doc(3))
    route = ("route", "--category", CATEGORY, "--json")
    code, out, err = run_main(monkeypatch, capsys, "pin", "--category", CATEGORY, "--exclude",
                              M0, "--for", "2h", "--note", "bad diffs", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert (got["kind"], got["model"], got["category"]) == ("exclude", M0, CATEGORY)
    assert got["expires_at"] is not None
    assert json.loads(run_main(monkeypatch, capsys, *route)[1])["model"] == M1
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--all-categories", "--exclude", M1)
    assert code == 0 and " ".join(out.split()) == ("operator exclusion of prov/model-1:8b "
                                                   "from every category")
    assert json.loads(run_main(monkeypatch, capsys, *route)[1])["model"] == M2
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--list", "--json")
    assert [(p["kind"], p["category"], p["model"]) for p in json.loads(out)["pins"]] == [
        ("exclude", "*", M1), ("exclude", CATEGORY, M0)]
    code, out, _ = run_main(monkeypatch, capsys, "pin", "--list")
    assert "exclude" in out and "(every" in out and "bad" in out  # cells wrap at 80 columns
    code, out, _ = run_main(monkeypatch, capsys, "unpin", "--all-categories", "--exclude", M1)
    assert code == 0 and " ".join(out.split()) == ("lifted the exclusion of prov/model-1:8b "
                                                   "from every category")
    code, out, _ = run_main(monkeypatch, capsys, "unpin", "--category", CATEGORY,
                            "--exclude", M0, "--json")
    assert code == 0 and json.loads(out)["unpinned"] is True
    assert json.loads(run_main(monkeypatch, capsys, *route)[1])["model"] == M0


@pytest.mark.parametrize(("command", "args", "message"), [
    ("pin", ["--category", CATEGORY, "--exclude", M0, "--model", M1], "not both"),
    ("pin", ["--exclude", M0], "needs --category C or --all-categories"),
    ("pin", ["--category", CATEGORY, "--all-categories", "--exclude", M0], "not both"),
    ("pin", ["--category", CATEGORY, "--exclude", M0, "--task-id", "t"], "not one task"),
    ("pin", ["--all-categories", "--model", M0], "--all-categories goes with --exclude"),
    ("pin", ["--category", CATEGORY, "--exclude", "nope"], "is not provider/model"),
    ("pin", ["--category", CATEGORY, "--exclude", M1], "serves it; remove that pin first"),
    ("unpin", ["--category", CATEGORY, "--exclude", M2], "no exclusion of"),
    ("unpin", [], "routerx unpin needs --category"),
])
def test_cli_exclusion_mistakes_are_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: str, args: list[str], message: str,
) -> None:
    seed(None, doc(3))
    with session_scope(None) as s:
        set_pin(s, CATEGORY, M1)
    code, out, err = run_main(monkeypatch, capsys, command, *args)
    assert code != 0 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_http_exclusions(client: TestClient) -> None:
    got = client.post("/v1/pins", json={"kind": "exclude", "category": CATEGORY, "model": M0,
                                        "duration": "1h", "note": "incident 12"})
    assert got.status_code == 201, got.text
    assert (got.json()["kind"], got.json()["model"]) == ("exclude", M0)
    route = client.get("/v1/route", params={"category": CATEGORY}).json()
    assert route["model"] == M1 and "excluded by an operator: prov/model-0:8b" in route["reason"]
    assert client.post("/v1/pins", json={"kind": "exclude", "all_categories": True,
                                         "model": M1}).status_code == 201
    assert client.get("/v1/route", params={"category": CATEGORY}).json()["model"] == M2
    pins = client.get("/v1/pins").json()["pins"]
    assert [(p["kind"], p["category"], p["model"]) for p in pins] == [
        ("exclude", "*", M1), ("exclude", CATEGORY, M0)]
    refused = client.post("/v1/pins", json={"category": CATEGORY, "model": M0})
    assert refused.status_code == 422 and "an operator excluded it" in refused.json()["detail"]
    lift = {"kind": "exclude", "model": M1, "all_categories": "true"}
    assert client.delete("/v1/pins", params=lift).status_code == 200
    assert client.delete("/v1/pins", params=lift).status_code == 404
    lift = {"kind": "exclude", "model": M0, "category": CATEGORY}
    assert client.delete("/v1/pins", params=lift).json() == {
        "unpinned": True, "kind": "exclude", "category": CATEGORY, "model": M0}
    assert client.get("/v1/route", params={"category": CATEGORY}).json()["model"] == M0
    # a pinned model cannot be excluded
    assert client.post("/v1/pins", json={"category": CATEGORY, "model": M2}).status_code == 201
    refused = client.post("/v1/pins", json={"kind": "exclude", "category": CATEGORY,
                                            "model": M2})
    assert refused.status_code == 422 and "serves it" in refused.json()["detail"]


@pytest.mark.parametrize("body", [
    {"kind": "exclude", "model": M0},
    {"kind": "exclude", "model": M0, "category": CATEGORY, "all_categories": True},
    {"kind": "exclude", "model": M0, "category": CATEGORY, "task_id": "t"},
    {"kind": "pin", "model": M0, "all_categories": True},
    {"kind": "pin", "model": M0},
    {"kind": "evict", "model": M0, "category": CATEGORY},
])
def test_http_exclusion_mistakes_are_422(client: TestClient, body: dict) -> None:
    got = client.post("/v1/pins", json=body)
    assert got.status_code == 422, got.text
    with session_scope(client.app.state.router.database_url) as s:
        assert list_pins(s) == []


@pytest.mark.parametrize("params", [
    {"kind": "exclude", "category": CATEGORY},
    {"kind": "exclude", "model": M0},
    {"kind": "pin", "all_categories": "true"},
    {},
])
def test_http_unpin_mistakes_are_422(client: TestClient, params: dict) -> None:
    assert client.delete("/v1/pins", params=params).status_code == 422
