"""The `discover` Prefect flow, run locally with no configured server."""

from __future__ import annotations

import asyncio

from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL
from sqlmodel import Session, select

from router.store import get_engine
from router.store.models import DiscoverySnapshot
from tests.fakes.http_server import FakeHTTPServer, Reply
from tests.fakes.providers import ollama_tags, openai_list


def test_flow_polls_concurrently_stores_and_emits_events(prefect_harness, monkeypatch) -> None:
    import tasks.discovery

    emitted: list[dict] = []
    monkeypatch.setattr(tasks.discovery, "emit_event", lambda **e: emitted.append(e))
    monkeypatch.setenv("ROUTERX_HTTP_RETRIES", "0")
    from flows.discovery import discover

    with FakeHTTPServer() as srv:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-FLOW-SECRET-9999")
        monkeypatch.setenv("OPENAI_BASE_URL", f"{srv.url}/v1")
        monkeypatch.setenv("OLLAMA_HOST", srv.url)
        srv.route("GET", "/v1/models", Reply(200, openai_list(["gpt-5.2"]), delay=0.5))
        srv.route("GET", "/api/tags", Reply(200, ollama_tags(["qwen2.5-coder:7b"]), delay=0.5))
        result = asyncio.run(discover(providers=["openai", "ollama", "groq"], assess_found=False))
        first, second = srv.requests
        assert abs(first.at - second.at) < 0.45  # one task per provider, run concurrently

    assert result["new"] == ["ollama/qwen2.5-coder:7b", "openai/gpt-5.2"]
    assert result["providers"]["groq"]["status"] == "skipped"
    assert sorted(e["resource"]["prefect.resource.id"] for e in emitted) == [
        "routerx.model.ollama/qwen2.5-coder:7b", "routerx.model.openai/gpt-5.2"]
    with Session(get_engine()) as s:
        assert {x.provider for x in s.exec(select(DiscoverySnapshot))} == {"openai", "ollama"}

    # The key reached neither task parameters nor anything else Prefect recorded.
    prefect_db = PREFECT_API_DATABASE_CONNECTION_URL.value().split("///", 1)[1]
    import sqlite3

    with sqlite3.connect(prefect_db) as conn:
        dump = "\n".join(conn.iterdump())
    assert "discover" in dump and "FLOW-SECRET" not in dump


def test_if_stale_seconds_reuses_polls(prefect_harness, monkeypatch) -> None:
    import tasks.discovery

    monkeypatch.setattr(tasks.discovery, "emit_event", lambda **e: None)
    from flows.discovery import discover

    with FakeHTTPServer() as srv:
        monkeypatch.setenv("OLLAMA_HOST", srv.url)
        srv.route("GET", "/api/tags", Reply(200, ollama_tags(["llama3.1:8b"])))
        asyncio.run(discover(providers=["ollama"], assess_found=False))
        again = asyncio.run(discover(providers=["ollama"], if_stale_seconds=3600,
                                    assess_found=False))
        assert len(srv.requests) == 1
    assert again["providers"]["ollama"]["reused"] is True and again["new"] == []


def test_run_locally_it_assesses_what_it_found(prefect_harness, monkeypatch, tmp_path) -> None:
    import tasks.discovery
    from benchmarks.simulated import SimulatedModel, SimulatedProvider
    from router.store.models import Placement

    monkeypatch.setattr(tasks.discovery, "emit_event", lambda **e: None)
    from flows.discovery import discover

    with SimulatedProvider((SimulatedModel("solver", 1.0, 0.0),)) as sim:
        config = tmp_path / "routerx.toml"
        # a 2-task run is placed only when 2 tasks is the configured placement protocol
        config.write_text(f'[providers.simulated]\nbase_url = "{sim.base_url}"\n'
                          '[placement]\nlimit = 2\n')
        monkeypatch.setenv("ROUTERX_CONFIG", str(config))
        result = asyncio.run(discover(providers=["simulated"], assess_limit=2))
    assessed = result["assessment"]["models"]["simulated/solver"]
    assert assessed["status"] == "assessed"
    assert assessed["benchmarks"]["humaneval"]["pass_at_1"] == 1.0
    assert "mbpp" in result["assessment"]["skipped_benchmarks"]  # no MBPP data here: said
    with Session(get_engine()) as s:
        assert [p.model_id for p in s.exec(select(Placement))] == ["simulated/solver"] * 1
