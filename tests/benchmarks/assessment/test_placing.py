"""Placements move only on complete evidence of the placement protocol.

Each test is one defect of issue 11: a smoke run that replaced a full score, a failed
re-assessment that removed a model from routing, a protocol bump that emptied a
category's fallback table, an assessment that wiped imported placements.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from benchmarks.assessment.placing import place_all
from benchmarks.assessment.runs import settle_models
from benchmarks.registry import get_benchmark
from router.placements import import_placements, latest_fallback_tables, parse_placements
from router.routing_table import load_routing_table
from router.store import get_engine, session_scope
from router.store.models import BenchmarkScore, Model, ModelStatus, RunStatus
from tests.benchmarks.assessment.helpers import (
    add_models,
    layers_and_scores,
    passing_first,
    placements,
    store_run,
)

# HumanEval has 164 tasks; tasks passed by each model in its full run.
SKILL = {"p/lead": 150, "p/good": 120, "p/fair": 90, "p/weak": 40}


@pytest.fixture
def full(database_url: str) -> str:
    """Four models measured on the whole of HumanEval, then placed."""
    add_models(database_url, *SKILL)
    for model, k in SKILL.items():
        _, outcome = store_run(database_url, model, passing_first(k))
        assert outcome.status == RunStatus.COMPLETED
    settle_models(dict.fromkeys(SKILL), database_url)
    place_all(database_url=database_url)
    return database_url


def _scores(url: str) -> list[BenchmarkScore]:
    with Session(get_engine(url)) as s:
        return list(s.exec(select(BenchmarkScore).order_by(BenchmarkScore.id)))


def _fallback(url: str, category: str = "code-generation") -> list[str]:
    with Session(get_engine(url)) as s:
        return list(latest_fallback_tables(s)[category].models)


def test_full_runs_place_in_skill_order(full: str) -> None:
    assert _fallback(full) == list(SKILL)
    layers = layers_and_scores(full)
    assert layers["p/lead"][0] < layers["p/weak"][0]
    assert all(s.placed and s.task_scope == "all" and s.task_count == 164 for s in _scores(full))


def test_a_smoke_run_is_stored_beside_the_full_score_and_never_placed(full: str) -> None:
    before = layers_and_scores(full)
    full_scores = {s.model_id: (s.pass_at_1, s.z_score) for s in _scores(full)}
    _, outcome = store_run(full, "p/lead", passing_first(3), limit=3)  # 3/3 = 1.0
    assert outcome.status == RunStatus.COMPLETED
    place_all(database_url=full)

    scores = _scores(full)
    smoke = [s for s in scores if s.task_count == 3]
    assert len(smoke) == 1 and smoke[0].pass_at_1 == 1.0
    assert smoke[0].task_scope == "first 3" and not smoke[0].placed
    assert "smoke or partial run" in smoke[0].not_placed_reason
    assert smoke[0].z_score is None  # nothing like it to compare with
    # the full scores, their z-scores and every placement are exactly as before
    assert {s.model_id: (s.pass_at_1, s.z_score) for s in scores if s.task_count == 164} \
        == full_scores
    assert layers_and_scores(full) == before
    assert not any(stale for _, _, stale, _ in placements(full).values())


def test_a_failed_reassessment_keeps_the_model_placed_and_routed(full: str) -> None:
    before = layers_and_scores(full)
    reason = "ProviderAuthError: p: HTTP 401: the provider rejected the key"
    _, outcome = store_run(full, "p/lead", None, seed=1, failed=reason)
    assert outcome.status == RunStatus.FAILED
    settle_models({"p/lead": f"humaneval run failed: {reason}"}, full)
    place_all(database_url=full)

    with Session(get_engine(full)) as s:
        lead = s.get(Model, "p/lead")
        assert lead.status == ModelStatus.ASSESSED  # not `failed`: it was measured before
        assert "401" in lead.status_reason
        table = load_routing_table(s).categories["code-generation"]
    assert layers_and_scores(full) == before
    layer, score, stale, why = placements(full)["p/lead"]
    assert stale and "failed" in why and "401" in why
    assert table.models[0] == "p/lead"


def test_a_model_never_measured_is_failed(database_url: str) -> None:
    add_models(database_url, "p/new")
    store_run(database_url, "p/new", None, failed="ProviderError: p: cannot connect")
    settle_models({"p/new": "humaneval run failed: cannot connect"}, database_url)
    with Session(get_engine(database_url)) as s:
        assert s.get(Model, "p/new").status == ModelStatus.FAILED


def test_an_incomplete_run_neither_scores_nor_demotes(full: str) -> None:
    before = layers_and_scores(full)
    n_scores = len(_scores(full))
    # 17 of 164 samples (10%) lost to the provider: more than 5%
    _, outcome = store_run(full, "p/lead", lambda i, _: "provider_error" if i < 17 else "failed",
                           seed=2)
    assert outcome.status == RunStatus.INCOMPLETE
    assert "17 of 164 samples" in outcome.reason and "provider_error" in outcome.reason
    place_all(database_url=full)
    assert len(_scores(full)) == n_scores  # not scored
    assert layers_and_scores(full) == before
    assert "incomplete" in placements(full)["p/lead"][3]


def test_a_complete_rerun_clears_the_stale_mark(full: str) -> None:
    store_run(full, "p/lead", None, seed=1, failed="ProviderError: p: down")
    place_all(database_url=full)
    assert placements(full)["p/lead"][2]
    store_run(full, "p/lead", passing_first(150), seed=3)
    place_all(database_url=full)
    assert placements(full)["p/lead"][2:] == (False, None)


def test_a_protocol_bump_keeps_old_placements_stale_and_in_the_table(
        full: str, monkeypatch: pytest.MonkeyPatch) -> None:
    before = layers_and_scores(full)
    monkeypatch.setattr(get_benchmark("humaneval"), "protocol_version", "humaneval-next")
    store_run(full, "p/weak", passing_first(100))  # re-assessed under the new protocol
    place_all(database_url=full)

    after = placements(full)
    assert set(after) == set(SKILL)
    assert set(_fallback(full)) == set(SKILL)  # not reduced to the one re-assessed model
    for model in ("p/lead", "p/good", "p/fair"):
        layer, score, stale, why = after[model]
        assert (layer, score) == before[model] and stale
        assert "protocol" in why and "humaneval-next" in why
    assert not after["p/weak"][2]
    old = [s for s in _scores(full) if s.protocol_version != "humaneval-next"]
    assert old and not any(s.placed for s in old)


def test_imported_placements_survive_an_assessment(database_url: str) -> None:
    with session_scope(database_url) as s:
        import_placements(s, parse_placements({"code-generation": [
            {"model": "team/shared", "layer": 2, "score": 0.4}]}), source="team.json")
    add_models(database_url, *SKILL)
    for model, k in SKILL.items():
        store_run(database_url, model, passing_first(k))
    place_all(database_url=database_url)
    assert placements(database_url)["team/shared"] == (2, 0.4, False, None)
    assert "team/shared" in _fallback(database_url)


def test_a_retired_model_leaves_the_placements(full: str) -> None:
    with Session(get_engine(full)) as s:
        model = s.get(Model, "p/good")
        model.status = ModelStatus.RETIRED
        s.add(model)
        s.commit()
    place_all(database_url=full)
    assert "p/good" not in placements(full)
    assert "p/good" not in _fallback(full)
