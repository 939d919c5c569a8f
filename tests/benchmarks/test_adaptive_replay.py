"""scripts/adaptive_replay.py: recorded runs replayed through the adaptive assessment."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import shared_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def replay() -> ModuleType:
    spec = importlib.util.spec_from_file_location("routerx_adaptive_replay",
                                                  REPO / "scripts" / "adaptive_replay.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _runs(replay: ModuleType, rates: dict[str, int], n: int = 60) -> list:
    return [replay.RecordedRun(name, "humaneval",
                               {f"T/{i:03d}": i < passes for i in range(n)})
            for name, passes in rates.items()]


def test_a_clearly_weak_model_stops_early_and_lands_where_its_full_run_does(replay) -> None:
    runs = _runs(replay, {"weak": 3, "a": 30, "b": 36, "c": 42, "d": 48, "e": 54})
    (row,) = replay.replay_all(runs, orders=30, confidence=0.95, seed=1, only=["weak"])
    assert row.full_layer == 6 and row.population == 6 and row.tasks == 60
    assert row.same_layer == 1.0
    assert row.mean_asked < 0.6  # far below everyone: known long before the last task
    assert row.margin is not None and row.margin > row.half_width_at_40


def test_a_model_at_a_layer_boundary_needs_nearly_every_task(replay) -> None:
    runs = _runs(replay, {"a": 30, "b": 36, "c": 42, "d": 48, "e": 54})
    rows = {r.run: r for r in replay.replay_all(runs, orders=20, confidence=0.95, seed=2)}
    edge = min(rows.values(), key=lambda r: r.margin or 99)
    assert edge.margin is not None and edge.margin < edge.half_width_at_40
    assert edge.mean_asked > 0.6
    assert all(r.same_layer >= 0.9 for r in rows.values())


def test_replays_are_reproducible_and_independent_of_the_other_replayed_runs(replay) -> None:
    runs = _runs(replay, {"a": 10, "b": 30, "c": 50})
    alone = replay.replay_all(runs, orders=10, confidence=0.95, seed=3, only=["b"])
    together = {r.run: r for r in replay.replay_all(runs, orders=10, confidence=0.95, seed=3)}
    assert alone[0] == together["b"]


def test_a_file_without_verdicts_is_named(replay, tmp_path) -> None:
    (tmp_path / "humaneval" / "x").mkdir(parents=True)
    bad = tmp_path / "humaneval" / "x" / "run.jsonl"
    bad.write_text(json.dumps({"task_id": "HumanEval/0", "passed": "yes"}) + "\n")
    with pytest.raises(ValueError, match=r"run.jsonl line 1: no task id .* or boolean verdict"):
        replay.read_run(bad, tmp_path)
    bad.write_text(json.dumps({"task_id": "HumanEval/0", "passed": True}) + "\n"
                   + json.dumps({"task_id": "HumanEval/0", "passed": False}) + "\n")
    with pytest.raises(ValueError, match="recorded twice"):
        replay.read_run(bad, tmp_path)


def test_real_runs_keep_their_layer(replay) -> None:
    """Two real HumanEval runs against the 22 others, 20 orders each."""
    shared = shared_path("humaneval")
    runs = replay.recorded_runs(shared.parent)
    assert len([r for r in runs if r.benchmark == "humaneval"]) >= 16
    rows = replay.replay_all(runs, orders=20, confidence=0.95, seed=0,
                             only=["humaneval/adadec/qwen3-0.6b_greedy.jsonl",
                                   "humaneval/ldb/seed_gpt-3.5-turbo-0613.jsonl"])
    assert [(r.full_layer, r.population) for r in rows] == [(6, 23), (3, 23)]
    assert all(r.same_layer >= 0.9 for r in rows)
    assert all(r.mean_asked < 0.8 for r in rows)
