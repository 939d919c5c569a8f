"""Operator pins: the strategies alone, in the chain, in the store (SQLite and
PostgreSQL) shared by two routers, and through the CLI and the HTTP API."""

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
from router.router_config import RouterConfig
from router.routing_table import RoutingTable
from router.store import session_scope
from router.store.models import Model, ModelStatus
from router.store.versions import PINS, read_versions
from router.strategies import CHAIN
from router.strategies.pins import CategoryPinStrategy, TaskPinStrategy
from router.tasks_state import TaskSnapshot
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
