"""Discovery against loopback providers, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from router.discovery import run_discovery
from router.events import discovered_events
from router.store import get_engine
from router.store.models import DiscoverySnapshot, Model
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import openai_list


@pytest.fixture
def openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHTTPServer]:
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "1")
    monkeypatch.setenv("ROUTERX_HTTP_TIMEOUT", "2")
    with FakeHTTPServer() as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", f"{srv.url}/v1")
        yield srv


def serve(srv: FakeHTTPServer, ids: list[str]) -> None:
    srv.route("GET", "/v1/models", Reply(200, openai_list(ids)))


def statuses(url: str) -> dict[str, str]:
    with Session(get_engine(url)) as s:
        return {m.id: m.status for m in s.exec(select(Model))}


def test_first_poll_queues_chat_models_and_catalogues_the_rest(openai, database_url) -> None:
    serve(openai, ["gpt-5.2", "text-embedding-3-small"])
    report = run_discovery(providers=["openai"], database_url=database_url)
    assert report.new == ["openai/gpt-5.2", "openai/text-embedding-3-small"]
    assert report.queued == ["openai/gpt-5.2"]
    assert statuses(database_url) == {
        "openai/gpt-5.2": "new", "openai/text-embedding-3-small": "catalogued"}


def test_a_model_added_between_polls_is_exactly_one_new_id(openai, database_url) -> None:
    serve(openai, ["gpt-5.2", "gpt-5-mini"])
    run_discovery(providers=["openai"], database_url=database_url)
    serve(openai, ["gpt-5.2", "gpt-5-mini", "gpt-5.3-codex"])
    report = run_discovery(providers=["openai"], database_url=database_url)
    assert report.new == ["openai/gpt-5.3-codex"]
    assert report.removed == []
    again = run_discovery(providers=["openai"], database_url=database_url)
    assert again.new == []


def test_a_failed_poll_retires_nothing(openai, database_url) -> None:
    serve(openai, ["gpt-5.2", "gpt-5-mini"])
    run_discovery(providers=["openai"], database_url=database_url)
    openai.route("GET", "/v1/models", Reply(503, {"error": "maintenance"}))
    report = run_discovery(providers=["openai"], database_url=database_url)
    assert report.failed == ["openai"] and report.removed == []
    assert set(statuses(database_url).values()) == {"new"}
    with Session(get_engine(database_url)) as s:
        snaps = s.exec(select(DiscoverySnapshot).order_by(DiscoverySnapshot.id)).all()
    assert [x.status for x in snaps] == ["ok", "error"]
    assert "503" in snaps[1].error
    # The next good poll diffs against the last GOOD snapshot, not the failed one.
    serve(openai, ["gpt-5.2"])
    report = run_discovery(providers=["openai"], database_url=database_url)
    assert report.removed == ["openai/gpt-5-mini"] and report.new == []


def test_removed_then_restored_is_not_new(openai, database_url) -> None:
    serve(openai, ["gpt-5.2", "o3"])
    run_discovery(providers=["openai"], database_url=database_url)
    serve(openai, ["gpt-5.2"])
    assert run_discovery(providers=["openai"], database_url=database_url).removed == ["openai/o3"]
    assert statuses(database_url)["openai/o3"] == "retired"
    serve(openai, ["gpt-5.2", "o3"])
    report = run_discovery(providers=["openai"], database_url=database_url)
    assert report.new == [] and report.restored == ["openai/o3"]
    assert statuses(database_url)["openai/o3"] == "new"  # back to what it was before


def test_if_stale_reuses_a_recent_poll(openai, database_url) -> None:
    serve(openai, ["gpt-5.2"])
    run_discovery(providers=["openai"], database_url=database_url)
    report = run_discovery(providers=["openai"], if_stale=timedelta(hours=1),
                           database_url=database_url)
    assert len(openai.requests) == 1
    assert report.providers["openai"].reused and report.providers["openai"].models == 1
    run_discovery(providers=["openai"], if_stale=timedelta(seconds=0), database_url=database_url)
    assert len(openai.requests) == 2


def test_unconfigured_providers_are_skipped_with_the_variable_to_set(database_url) -> None:
    report = run_discovery(database_url=database_url)
    assert report.failed == []
    assert report.providers["anthropic"].status == "skipped"
    assert report.providers["anthropic"].error == "no key: set ANTHROPIC_API_KEY"
    assert "OLLAMA_HOST" in report.providers["ollama"].error


def test_events_name_each_new_model(openai, database_url) -> None:
    serve(openai, ["gpt-5.2", "text-embedding-3-small"])
    report = run_discovery(providers=["openai"], database_url=database_url)
    events = discovered_events(report)
    assert [(e["resource"]["prefect.resource.id"], e["resource"]["routerx.queued"])
            for e in events] == [("routerx.model.openai/gpt-5.2", "true"),
                                 ("routerx.model.openai/text-embedding-3-small", "false")]
    assert all(e["event"] == "routerx.model.discovered" for e in events)
