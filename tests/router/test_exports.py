"""Exported files: valid, atomic, keyless, and the user's OpenCode settings survive."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from router.errors import InputError
from router.exports import export_all, merge_opencode_config
from router.placements import write_fallback_table
from router.store import get_engine
from router.store.models import BenchmarkScore, Model, Placement


def seed(url: str) -> None:
    now = datetime.now(UTC)
    with Session(get_engine(url)) as s:
        for mid, ctx, p1 in (("ollama/qwen2.5-coder:7b", 32768, 0.8),
                             ("gemini/gemini-2.5-pro", 1_048_576, 0.9)):
            prov, name = mid.split("/", 1)
            s.add(Model(id=mid, provider=prov, name=name, status="assessed", first_seen=now,
                        last_seen=now, context_window=ctx, display_name=name.upper()))
            s.flush()
            s.add(BenchmarkScore(model_id=mid, benchmark="humaneval", protocol_version="v1",
                                 n_tasks=10, n_samples=10, pass_at_1=p1, ci_low=p1 - 0.1,
                                 ci_high=min(1, p1 + 0.1), latency_p50_ms=800,
                                 latency_p95_ms=1500, cost_per_solved_usd=None, robustness=0.9,
                                 placed=True))
            s.add(Placement(model_id=mid, category="code-generation", layer=1 if p1 > .85 else 2,
                            rank_score=p1, provisional=True))
        write_fallback_table(s, "code-generation", ["gemini/gemini-2.5-pro",
                                                    "ollama/qwen2.5-coder:7b"])
        s.commit()


def test_exports_are_written_and_keep_user_settings(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:11434")
    monkeypatch.setenv("GEMINI_API_KEY", "AIza-EXPORT-SECRET")
    seed(None)  # the default store of this test's isolated XDG_DATA_HOME
    user = {"$schema": "https://opencode.ai/config.json", "theme": "tokyonight",
            "provider": {"google": {"models": {"gemini-1.5-pro": {"name": "mine"}},
                                    "options": {"timeout": 600000}}},
            "agent": {"build": {"model": "google/gemini-1.5-pro"}}}
    config = tmp_path / "opencode.json"
    config.write_text(json.dumps(user))
    paths = export_all(tmp_path / "out", config)

    merged = json.loads(config.read_text())
    assert merged["theme"] == "tokyonight" and merged["agent"] == user["agent"]
    google = merged["provider"]["google"]
    assert google["options"] == {"timeout": 600000}  # the user's options stay untouched
    assert google["models"]["gemini-1.5-pro"] == {"name": "mine"}
    # context known, output not: no `limit` (OpenCode requires both or none)
    assert google["models"]["gemini-2.5-pro"] == {"name": "GEMINI-2.5-PRO"}
    ollama = merged["provider"]["ollama"]
    assert ollama["options"] == {"baseURL": "http://127.0.0.1:11434/v1"}
    assert "qwen2.5-coder:7b" in ollama["models"]
    assert json.loads((tmp_path / "opencode.json.bak").read_text()) == user

    tables = json.loads(paths.fallback_tables.read_text())
    assert tables["categories"]["code-generation"]["models"][0] == "google/gemini-2.5-pro"
    assert tables["categories"]["code-generation"]["routerx_models"][0] == \
        "gemini/gemini-2.5-pro"
    matrix = paths.scoring_matrix.read_text()
    assert "## code-generation" in matrix and "0.900 [0.800, 1.000]" in matrix
    assert "n/a" in matrix  # unknown cost is said, not zero
    for path in (config, paths.fallback_tables, paths.scoring_matrix):
        assert "EXPORT-SECRET" not in path.read_text()
    assert not list((tmp_path / "out").glob(".*.tmp"))  # no temporary file left behind


def test_unreadable_opencode_config_is_left_alone(tmp_path) -> None:
    config = tmp_path / "opencode.json"
    config.write_text("{ not json")
    with pytest.raises(InputError, match="not valid JSONC at line 1, column 3"):
        merge_opencode_config(config, [], {})
    assert config.read_text() == "{ not json"


def test_stale_placements_and_unplaced_scores_are_marked(tmp_path) -> None:
    seed(None)
    with Session(get_engine()) as s:
        placement = s.exec(select(Placement).where(
            Placement.model_id == "gemini/gemini-2.5-pro")).one()
        placement.stale = True
        placement.stale_reason = "humaneval: the newest run (#9) failed: HTTP 401"
        s.add(placement)
        s.add(BenchmarkScore(model_id="gemini/gemini-2.5-pro", benchmark="humaneval",
                             protocol_version="v1", task_set="three", task_count=3,
                             task_scope="first 3", n_tasks=3, n_samples=3, pass_at_1=1.0,
                             ci_low=0.44, ci_high=1.0, not_placed_reason="smoke or partial run"))
        s.commit()
    paths = export_all(tmp_path / "out")
    matrix = paths.scoring_matrix.read_text()
    assert "| `gemini/gemini-2.5-pro` | 1 (provisional, stale) | 0.900 [0.800, 1.000] |" in matrix
    assert "- `gemini/gemini-2.5-pro` is stale: humaneval: the newest run (#9) failed" in matrix
    assert "## Measured, not placed" in matrix
    assert ("| `gemini/gemini-2.5-pro` | humaneval 1.000 (first 3, 3 tasks, 1 sample, t=0) "
            "| smoke or partial run |") in matrix
    tables = json.loads(paths.fallback_tables.read_text())["categories"]["code-generation"]
    assert tables["stale"] == {  # keyed by OpenCode's id, as `models` is
        "google/gemini-2.5-pro": "humaneval: the newest run (#9) failed: HTTP 401"}
