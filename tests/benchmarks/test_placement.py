"""Layers, provisional placement, stability and fallback order."""

from __future__ import annotations

import pytest

from benchmarks.placement import (
    ABSOLUTE_LAYER_FLOORS,
    Z_LAYER_FLOORS,
    BenchmarkEvidence,
    fallback_sorted,
    layer_for,
    place_category,
    stable_layer,
)

W = {"humaneval": 0.5, "mbpp": 0.5}


def ev(p: float, half: float = 0.05, lat: float | None = 1000.0,
       cost: float | None = 0.01) -> BenchmarkEvidence:
    return BenchmarkEvidence(p, max(0.0, p - half), min(1.0, p + half), lat, cost)


def test_layer_thresholds() -> None:
    assert [layer_for(x, ABSOLUTE_LAYER_FLOORS) for x in (0.9, 0.85, 0.7, 0.6, 0.45, 0.3, 0.1)] \
        == [1, 1, 2, 3, 4, 5, 6]
    assert [layer_for(z, Z_LAYER_FLOORS) for z in (1.5, 0.7, 0.1, -0.2, -0.7, -1.5)] \
        == [1, 2, 3, 4, 5, 6]


def test_fewer_than_three_models_are_provisional_on_absolute_thresholds() -> None:
    d = place_category("code-generation", {
        "p/a": {"humaneval": ev(0.9), "mbpp": ev(0.8)},   # accuracy 0.85 -> layer 1
        "p/b": {"humaneval": ev(0.3)},                    # only one benchmark: 0.3 -> layer 5
    }, W)
    assert [(x.model_id, x.layer, x.provisional) for x in d] == [
        ("p/a", 1, True), ("p/b", 5, True)]
    assert d[0].pass_rate == pytest.approx(0.85)
    assert d[0].evidence["rule"].startswith("absolute")


def test_z_scores_with_three_models_by_hand() -> None:
    # accuracies 0.2, 0.5, 0.8: mean 0.5, population std sqrt(0.06)=0.24495
    # z = -1.2247, 0, 1.2247; equal latency and cost -> no penalty.
    d = place_category("code-generation", {
        "p/lo": {"humaneval": ev(0.2)}, "p/mid": {"humaneval": ev(0.5)},
        "p/hi": {"humaneval": ev(0.8)}}, W)
    assert [x.model_id for x in d] == ["p/hi", "p/mid", "p/lo"]
    assert [x.score for x in d] == pytest.approx([1.224745, 0.0, -1.224745], abs=1e-5)
    assert [x.layer for x in d] == [1, 3, 6]
    assert not any(x.provisional for x in d)


def test_latency_and_cost_enter_standardised_not_raw() -> None:
    # Same accuracy; one model is 100x slower. Raw milliseconds would swamp everything;
    # standardised, the slow model only loses LATENCY_WEIGHT * z.
    d = place_category("code-generation", {
        "p/fast": {"humaneval": ev(0.6, lat=100)}, "p/slow": {"humaneval": ev(0.6, lat=10_000)},
        "p/good": {"humaneval": ev(0.9, lat=10_000)}}, W)
    assert d[0].model_id == "p/good"
    fast = next(x for x in d if x.model_id == "p/fast")
    slow = next(x for x in d if x.model_id == "p/slow")
    assert fast.score > slow.score
    assert abs(fast.score - slow.score) < 1.0


def test_unknown_cost_is_neutral_and_said() -> None:
    d = place_category("code-generation", {"p/a": {"humaneval": ev(0.5, cost=None)}}, W)
    assert d[0].cost_per_solved_usd is None and d[0].evidence["cost_known"] is False


def test_stability_keeps_a_layer_the_interval_still_reaches() -> None:
    floors = ABSOLUTE_LAYER_FLOORS
    # point 0.72 is layer 2, interval [0.62, 0.82] spans layers 2-3: previous 3 stays.
    assert stable_layer(0.72, 0.62, 0.82, floors, previous=3) == 3
    # interval [0.66, 0.78] no longer reaches layer 3 (< 0.70 floor is 0.55..0.70: it does)
    assert stable_layer(0.72, 0.66, 0.78, floors, previous=3) == 3
    # a tight interval [0.71, 0.73] does not reach layer 3: the model moves up.
    assert stable_layer(0.72, 0.71, 0.73, floors, previous=3) == 2
    assert stable_layer(0.72, 0.71, 0.73, floors, previous=None) == 2


def test_previous_layer_used_only_on_the_same_scale() -> None:
    evidence = {"p/a": {"humaneval": ev(0.72, half=0.1)}}
    assert place_category("c", evidence, W, previous={"p/a": (3, True)})[0].layer == 3
    assert place_category("c", evidence, W, previous={"p/a": (3, False)})[0].layer == 2


def test_fallback_order_layer_score_cost_latency() -> None:
    from benchmarks.placement import Decision

    def dec(m: str, layer: int, score: float, cost: float | None, lat: float | None) -> Decision:
        return Decision(m, "c", layer, score, False, 0.5, lat, cost)

    ordered = fallback_sorted([
        dec("e", 2, 0.9, 0.1, 10), dec("d", 1, 0.5, None, 10), dec("c", 1, 0.5, 0.2, 10),
        dec("b", 1, 0.5, 0.1, 20), dec("a", 1, 0.5, 0.1, 10), dec("f", 1, 0.7, 9.0, 99)])
    assert [x.model_id for x in ordered] == ["f", "a", "b", "c", "d", "e"]
