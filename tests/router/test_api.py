"""The HTTP API: in process (TestClient) and once over a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from router.api import create_app
from router.router import Router
from router.store import session_scope
from router.store.models import Outcome
from tests.router.routing_fixtures import CATEGORY, doc, seed
from tests.servers import uvicorn_thread

M0, M1 = "prov/model-0:8b", "prov/model-1:8b"


@pytest.fixture
def url(database_url: str) -> str:
    seed(database_url, doc(3))
    return database_url


@pytest.fixture
def client(url: str) -> Iterator[TestClient]:
    with TestClient(create_app(database_url=url)) as c:
        yield c


def _stored(url: str) -> int:
    with session_scope(url) as s:
        return len(s.exec(select(Outcome)).all())


def test_route(client: TestClient) -> None:
    got = client.get("/v1/route", params={"category": CATEGORY, "exclude": [M0]})
    assert got.status_code == 200
    body = got.json()
    assert (body["model"], body["provider"], body["is_exploration"]) == (M1, "prov", False)
    assert body["fallbacks"] == ["prov/model-2:8b"] and "fallback table" in body["reason"]


def test_route_validation_and_errors(client: TestClient) -> None:
    missing = client.get("/v1/route")
    assert missing.status_code == 422
    assert missing.json()["detail"] == "query.category: Field required"
    assert "unknown" in client.get("/v1/route", params={"category": "poems"}).json()["reason"]
    every = client.get("/v1/route", params={"category": CATEGORY,
                                            "exclude": [M0, M1, "prov/model-2:8b"]})
    assert every.status_code == 404 and "excluded" in every.json()["detail"]


def test_outcomes_one_and_batch(client: TestClient, url: str) -> None:
    one = client.post("/v1/outcomes", json={"model": M0, "category": CATEGORY,
                                            "success": True, "latency_ms": 10})
    assert one.status_code == 201 and one.json()["recorded"] == 1
    batch = [{"model": M1, "category": CATEGORY, "success": False}] * 3
    got = client.post("/v1/outcomes", json=batch)
    assert got.status_code == 201 and got.json()["recorded"] == 3
    assert _stored(url) == 4


@pytest.mark.parametrize(("body", "needle"), [
    ({"model": M0, "category": CATEGORY, "success": True, "latency_ms": -5},
     "latency_ms: Input should be greater than or equal to 0"),
    ({"model": M0, "category": CATEGORY, "success": "sure"}, "success"),
    ({"model": M0, "category": CATEGORY}, "success: Field required"),
    ({"model": M0, "category": CATEGORY, "success": True, "colour": "red"}, "colour"),
    ({"model": "ghost/x", "category": CATEGORY, "success": True}, "unknown model 'ghost/x'"),
    ({"model": M0, "category": "poems", "success": True}, "unknown category 'poems'"),
    ([], "empty batch"),
])
def test_bad_outcomes_are_422_and_not_stored(
    client: TestClient, url: str, body: object, needle: str
) -> None:
    got = client.post("/v1/outcomes", json=body)
    assert got.status_code == 422, got.text
    assert needle in got.json()["detail"]
    assert _stored(url) == 0


def test_placements_and_fallbacks(client: TestClient) -> None:
    assert client.get("/v1/placements").json() == doc(3)
    assert client.get("/v1/placements", params={"category": "nope"}).status_code == 404
    table = client.get(f"/v1/fallbacks/{CATEGORY}").json()
    assert table["version"] == 1 and table["models"][0] == M0
    missing = client.get("/v1/fallbacks/nope")
    assert missing.status_code == 404 and "known: code-generation" in missing.json()["detail"]


def test_exploration(client: TestClient) -> None:
    assert client.get("/v1/exploration").json() == {"active": False, "mode": "balanced",
                                                    "budget": 20}
    on = client.post("/v1/exploration", json={"active": True, "mode": "aggressive"})
    assert on.json() == {"active": True, "mode": "aggressive", "budget": 40}
    assert client.get("/v1/route", params={"category": CATEGORY}).json()["reason"].startswith(
        "exploration (aggressive")
    bad = client.post("/v1/exploration", json={"active": True, "budget": 150})
    assert bad.status_code == 422 and "budget" in bad.json()["detail"]
    mode = client.post("/v1/exploration", json={"active": True, "mode": "wild"})
    assert mode.status_code == 422 and "known: aggressive, balanced" in mode.json()["detail"]
    assert client.post("/v1/exploration", json={"active": False}).json()["active"] is False


def test_performance(client: TestClient) -> None:
    client.post("/v1/outcomes", json=[{"model": M0, "category": CATEGORY, "success": True,
                                       "latency_ms": 100.0, "cost_usd": 0.02}])
    (perf,) = client.get("/v1/performance").json()["performance"]
    assert perf["model"] == M0 and perf["cost_per_success_usd"] == 0.02


def test_session_start_runs_discovery_in_the_background(
    client: TestClient, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def fake_run_discovery(**kwargs):  # noqa: ANN003, ANN202
        calls.append(kwargs)
        return SimpleNamespace(new=["openai/gpt-9"], polled_at="now")

    monkeypatch.setattr("router.discovery.run_discovery", fake_run_discovery)
    got = client.post("/v1/session-start", json={"if_stale_seconds": 600})
    assert got.status_code == 202 and got.json()["discovery"] == "scheduled"
    assert calls == [{"providers": None, "if_stale": timedelta(seconds=600), "database_url": url}]
    again = client.post("/v1/session-start").json()
    assert again["if_stale_seconds"] == 3600 and again["last"]["new"] == ["openai/gpt-9"]


def test_bearer_token(url: str) -> None:
    with TestClient(create_app(database_url=url, token="s3cret-token")) as c:
        assert c.get("/healthz").status_code == 200  # open for load balancers
        assert c.get("/v1/route", params={"category": CATEGORY}).status_code == 401
        wrong = c.get("/v1/route", params={"category": CATEGORY},
                      headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        ok = c.get("/v1/route", params={"category": CATEGORY},
                   headers={"Authorization": "Bearer s3cret-token"})
        assert ok.status_code == 200
        assert "s3cret" not in c.get("/healthz").text


def test_openapi_lists_every_endpoint(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert paths >= {"/v1/route", "/v1/outcomes", "/v1/placements", "/v1/fallbacks/{category}",
                     "/v1/exploration", "/v1/session-start", "/healthz"}


def test_over_a_real_loopback_socket(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 's.db'}"
    seed(url, doc(2))
    with uvicorn_thread(create_app(router=Router(url))) as port, \
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
        assert http.get("/v1/route", params={"category": CATEGORY}).json()["model"] == M0
        assert http.post("/v1/outcomes", json={"model": M0, "category": CATEGORY,
                                               "success": True}).status_code == 201


def test_fast_path_and_endpoint_answer_alike(url: str) -> None:
    """Successful routes are served by the raw-ASGI fast path; without a router in the
    app state (no lifespan ran) the FastAPI endpoint answers. Same request, same body."""
    params = {"category": CATEGORY, "exclude": [M0]}
    with TestClient(create_app(database_url=url)) as fast:
        via_fast_path = fast.get("/v1/route", params=params)
    endpoint_only = TestClient(create_app(database_url=url))  # no `with`: no lifespan
    via_endpoint = endpoint_only.get("/v1/route", params=params)
    assert via_fast_path.status_code == via_endpoint.status_code == 200
    assert via_fast_path.json() == via_endpoint.json()
    assert via_fast_path.headers["content-type"] == via_endpoint.headers["content-type"]


# --- bad input is a 422 naming the field, never a 500 ------------------------------------
# (the store plays no part in these: SQLite only)


@pytest.fixture
def lite(tmp_path) -> str:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'lite.db'}"
    seed(url, doc(3))
    return url


OUT = f'{{"model": "{M0}", "category": "{CATEGORY}", "success": true'
PIN = f'{{"model": "{M0}", "category": "{CATEGORY}"'


@pytest.mark.parametrize(("path", "raw", "field"), [
    ("/v1/outcomes", OUT + ', "accuracy": NaN}', "body.accuracy"),
    ("/v1/outcomes", OUT + ', "latency_ms": Infinity}', "body.latency_ms"),
    ("/v1/outcomes", OUT + ', "cost_usd": -Infinity}', "body.cost_usd"),
    ("/v1/outcomes", OUT + ', "latency_ms": 1e999}', "body.latency_ms"),
    ("/v1/outcomes", OUT + ', "tokens_in": 18446744073709551616}', "body.tokens_in"),
    ("/v1/outcomes", OUT + ', "file_size": 9223372036854775808}', "body.file_size"),
    ("/v1/outcomes", OUT + ', "tokens_out": ' + "9" * 5000 + "}", "body.tokens_out"),
    ("/v1/outcomes", f"[{OUT}}}, {OUT}, \"latency_ms\": NaN}}]", "body.1.latency_ms"),
    ("/v1/outcomes", OUT + ', "task_id": "\\ud800"}', "body.task_id"),
    ("/v1/outcomes", '{"model": "a/\\udfff", "category": "c", "success": true}', "body.model"),
    ("/v1/outcomes", b'{"model": "\xff\xfe", "category": "c", "success": true}', "body: the "
     "body is not UTF-8"),
    ("/v1/outcomes", "[" * 100_000 + "]" * 100_000, "body: JSON nested too deeply"),
    ("/v1/pins", PIN + ', "duration": "99999999999999d"}', "body.duration"),
    ("/v1/pins", PIN + ', "duration": "1000000000w"}', "body.duration"),
    ("/v1/pins", PIN + ', "duration": "3651d"}', "body.duration"),
    ("/v1/pins", PIN + ', "note": "\\ud800 x"}', "body.note"),
    ("/v1/pins", PIN + ', "duration": {}}', "body.duration"),  # found by schemathesis: a 500
    ("/v1/pins", PIN + ', "duration": true}', "body.duration"),
    ("/v1/pins", f'{{"model": "{M0}", "category": "code\\u0000gen"}}', "body.category"),
    ("/v1/session-start", '{"if_stale_seconds": Infinity}', "body.if_stale_seconds"),
    ("/v1/session-start", '{"if_stale_seconds": 1e308}', "body.if_stale_seconds"),
    ("/v1/exploration", '{"active": true, "budget": NaN}', "body.budget"),
    ("/v1/exploration", '{"active": true, "prior_strength": Infinity}', "body.prior_strength"),
])
def test_bad_values_are_422_naming_the_field(
    lite: str, monkeypatch: pytest.MonkeyPatch, path: str, raw: str | bytes, field: str
) -> None:
    scheduled = []
    monkeypatch.setattr("router.discovery.run_discovery", lambda **kw: scheduled.append(kw))
    with TestClient(create_app(database_url=lite), raise_server_exceptions=False) as c:
        got = c.post(path, content=raw, headers={"content-type": "application/json"})
        assert got.status_code == 422, got.text
        assert got.json()["detail"].startswith(field), got.json()["detail"]
        assert c.get("/v1/pins").json()["pins"] == []
    assert _stored(lite) == 0 and scheduled == []


def test_an_oversized_batch_is_refused_before_its_items_are_validated(client: TestClient,
                                                                       url: str) -> None:
    from router.api import MAX_BATCH

    got = client.post("/v1/outcomes", json=[{"colour": "red"}] * (MAX_BATCH + 1))
    assert got.status_code == 422
    assert [e["loc"] for e in got.json()["errors"]] == [["body"]]  # not 10,001 item errors
    assert f"batch of {MAX_BATCH + 1} outcomes; send at most {MAX_BATCH}" in got.json()["detail"]
    within = client.post("/v1/outcomes", json=[{"colour": "red"}] * 2)
    assert within.status_code == 422  # items are then validated field by field
    assert ["body", 1, "success"] in [e["loc"] for e in within.json()["errors"]]
    assert _stored(url) == 0


# --- the bearer token: raw bytes, the same answer on every path ---------------------------

TOKEN = "s3cret-token-0123"
PATHS = [
    ("GET", f"/v1/route?category={CATEGORY}"),                # the raw-ASGI fast path
    ("GET", f"/v1/route?category={CATEGORY}&task_id=t1"),     # the FastAPI endpoint
    ("GET", "/v1/route?category=nope"),
    ("GET", "/v1/pins"),
    ("POST", "/v1/outcomes"),
    ("DELETE", f"/v1/pins?category={CATEGORY}"),
    ("GET", f"/v1/fallbacks/{CATEGORY}"),
    ("POST", "/v1/session-start"),
    ("GET", "/v1/no-such-endpoint"),
]
BAD_AUTH = [b"Bearer t\xc3\xb6k\xc3\xa9n", b"Bearer \xff\xfe\x00", "Bearer s3cret-tökén".encode(
    "latin-1"), b"B\xe9arer " + TOKEN.encode(), b"Bearer " + TOKEN.encode() + b"\xc3\xa9"]


@pytest.mark.parametrize("auth", BAD_AUTH)
def test_a_non_ascii_token_is_401_on_every_path(lite: str, auth: bytes) -> None:
    with TestClient(create_app(database_url=lite, token=TOKEN),
                    raise_server_exceptions=False) as c:
        for method, path in PATHS:
            got = c.request(method, path, headers={"authorization": auth}, content=b"{}")
            assert got.status_code == 401, (method, path, got.text)
            assert got.headers["www-authenticate"] == "Bearer" and TOKEN not in got.text
        right = {"authorization": f"Bearer {TOKEN}"}
        assert c.get(f"/v1/route?category={CATEGORY}", headers=right).status_code == 200
        assert c.get(f"/v1/route?category={CATEGORY}&task_id=t1",
                     headers=right).status_code == 200
        assert c.get("/v1/pins", headers=right).status_code == 200


@pytest.mark.parametrize("token", ["tökén-secret", "with space", "tab\there", ""])
def test_a_token_that_cannot_travel_in_a_header_is_refused_at_start(token: str) -> None:
    from router.errors import ConfigError

    with pytest.raises(ConfigError, match="ROUTERX_API_TOKEN must be visible ASCII") as info:
        create_app(database_url="sqlite://", token=token)
    assert token not in str(info.value) or not token
