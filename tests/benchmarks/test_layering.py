"""Layers, provisional placement, stability and fallback order."""

from __future__ import annotations

import pytest

from benchmarks.layering import (
    ABSOLUTE_LAYER_FLOORS,
    Z_LAYER_FLOORS,
    BenchmarkEvidence,
    fallback_sorted,
    layer_for,
    place_category,
    stable_layer,
)
from benchmarks.stats import wilson_interval

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
        "p/b": {"humaneval": ev(0.3), "mbpp": ev(0.3)},   # 0.3, interval 0.25-0.35 -> 5
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


def test_a_move_goes_to_the_nearest_layer_the_interval_allows() -> None:
    floors = ABSOLUTE_LAYER_FLOORS
    # point 0.72 (layer 2), interval [0.62, 0.82] allows layers 2-3. A model that was in
    # layer 5 moves to 3, the nearest allowed, not past it to its point estimate's 2.
    assert stable_layer(0.72, 0.62, 0.82, floors, previous=5) == 3
    # from above: a model in layer 1 whose interval now allows 2-3 goes to 2
    assert stable_layer(0.60, 0.56, 0.80, floors, previous=1) == 2
    # a newcomer starts from the anchor it is given, within the interval
    assert stable_layer(0.72, 0.62, 0.82, floors, previous=None, anchor=3) == 3
    assert stable_layer(0.72, 0.62, 0.82, floors, previous=None, anchor=6) == 3


def test_previous_layer_used_only_on_the_same_scale() -> None:
    evidence = {"p/a": {"humaneval": ev(0.72, half=0.1)}}
    assert place_category("c", evidence, W, previous={"p/a": (3, True)})[0].layer == 3
    assert place_category("c", evidence, W, previous={"p/a": (3, False)})[0].layer == 2


def test_fallback_order_layer_score_cost_latency() -> None:
    from benchmarks.layering import Decision

    def dec(m: str, layer: int, score: float, cost: float | None, lat: float | None) -> Decision:
        return Decision(m, "c", layer, score, False, 0.5, lat, cost)

    ordered = fallback_sorted([
        dec("e", 2, 0.9, 0.1, 10), dec("d", 1, 0.5, None, 10), dec("c", 1, 0.5, 0.2, 10),
        dec("b", 1, 0.5, 0.1, 20), dec("a", 1, 0.5, 0.1, 10), dec("f", 1, 0.7, 9.0, 99)])
    assert [x.model_id for x in ordered] == ["f", "a", "b", "c", "d", "e"]


def wev(p: float, n: int = 164, lat: float | None = 1000.0,
        cost: float | None = 0.01) -> BenchmarkEvidence:
    """Evidence as a real run gives it: pass@1 = k/n with its Wilson interval over n."""
    k = round(p * n)
    lo, hi = wilson_interval(k, n)
    return BenchmarkEvidence(k / n, float(lo), float(hi), lat, cost)


HE = {"humaneval": 1.0}


def test_tied_models_share_the_middle_layer_whatever_their_accuracy() -> None:
    # Before: three models tied at 0.7 were "z = +1" (layer 1), tied at 0.6 "z = 0"
    # (layer 3): the rounding residue of the mean decided.
    for value in (0.7, 0.6, 0.95):
        d = place_category("c", {f"p/{i}": {"humaneval": ev(value)} for i in range(3)}, HE)
        assert [(x.layer, x.score) for x in d] == [(3, 0.0)] * 3, value


def test_ties_do_not_freeze_the_hysteresis() -> None:
    # Before: the interval ends of tied models were divided by a std of ~1e-16, so every
    # interval spanned all six layers and every previous layer was kept forever.
    d = place_category("c", {f"p/{i}": {"humaneval": ev(0.7)} for i in range(3)}, HE,
                       previous={"p/0": (1, False), "p/1": (3, False), "p/2": (6, False)})
    assert {x.model_id: x.layer for x in d} == {"p/0": 3, "p/1": 3, "p/2": 3}
    assert all(x.evidence["score_ci"] == [0.0, 0.0] for x in d)


def test_a_category_compares_only_benchmarks_every_candidate_has() -> None:
    # Before: p/he-only's HumanEval 0.80 was compared with p/both's average of HumanEval
    # 0.90 and MBPP 0.62 (0.76), so the model that is better on HumanEval ranked lower.
    evidence = {
        "p/he-only": {"humaneval": ev(0.80)},
        "p/both": {"humaneval": ev(0.90), "mbpp": ev(0.62)},
        "p/third": {"humaneval": ev(0.50), "mbpp": ev(0.50)},
    }
    d = place_category("code-generation", evidence, W)
    assert [x.model_id for x in d] == ["p/both", "p/he-only", "p/third"]
    both = d[0]
    assert both.pass_rate == pytest.approx(0.90)
    assert both.evidence["benchmarks"] == ["humaneval"]
    assert both.evidence["not_compared"] == ["mbpp"]
    # everyone with both benchmarks: both are used, weights as configured
    evidence["p/he-only"]["mbpp"] = ev(0.70)  # type: ignore[index]
    d = place_category("code-generation", evidence, W)
    assert {x.model_id: x.pass_rate for x in d} == pytest.approx(
        {"p/both": 0.76, "p/he-only": 0.75, "p/third": 0.50})


def test_without_a_common_benchmark_the_most_shared_one_is_used() -> None:
    d = place_category("code-generation", {
        "p/a": {"humaneval": ev(0.8)}, "p/b": {"mbpp": ev(0.9)}, "p/c": {"humaneval": ev(0.4)},
    }, W)
    assert [x.model_id for x in d] == ["p/a", "p/c"]  # p/b has no HumanEval: left out
    assert d[0].evidence["left_out"] == ["p/b"] and d[0].provisional


def test_a_better_model_never_ends_below_one_whose_layer_was_kept() -> None:
    # 40 tasks: x60 (24/40) was in layer 2 and its interval still reaches it; y65 (26/40)
    # was in layer 6, which its interval no longer allows. Before, y65 jumped to its point
    # estimate's layer 3, below x60's kept layer 2.
    evidence = {m: {"humaneval": wev(p, 40)} for m, p in
                (("p/top", 0.85), ("p/low", 0.30), ("p/x60", 0.60), ("p/y65", 0.65))}
    previous = {"p/top": (1, False), "p/low": (6, False), "p/x60": (2, False),
                "p/y65": (6, False)}
    d = {x.model_id: x for x in place_category("c", evidence, HE, previous)}
    assert d["p/x60"].layer == 2 and "kept layer 2" in d["p/x60"].evidence["why"]
    assert d["p/y65"].layer <= d["p/x60"].layer
    assert d["p/y65"].evidence["allowed_layers"] == [2, 5]


def test_overlapping_intervals_are_not_spread_on_first_placement() -> None:
    # Five models at 0.600-0.620 on 164 tasks (intervals about +-0.075, all overlapping).
    # Before: layers 1, 2, 3, 5 and 6, from differences of one or two tasks.
    evidence = {f"p/m{i}": {"humaneval": wev(p)} for i, p in
                enumerate((0.600, 0.605, 0.610, 0.615, 0.620))}
    d = place_category("c", evidence, HE)
    assert [x.layer for x in d] == [3] * 5
    assert [x.model_id for x in d] == ["p/m4", "p/m3", "p/m2", "p/m1", "p/m0"]


def test_a_clear_difference_still_separates_layers() -> None:
    # 164 tasks, well separated: the intervals allow the top and bottom layers.
    evidence = {f"p/{p}": {"humaneval": wev(p)} for p in (0.95, 0.90, 0.60, 0.30, 0.25)}
    layers = {x.model_id: x.layer for x in place_category("c", evidence, HE)}
    assert layers["p/0.95"] <= 2 and layers["p/0.25"] >= 5
    assert layers["p/0.95"] <= layers["p/0.9"] < layers["p/0.6"] < layers["p/0.3"]


def test_rank_score_exchange_rate_by_hand() -> None:
    # u = accuracy - 0.05 log10(latency / 1 s) - 0.05 log10(cost / $0.01)
    # a: 0.80 at 10 s and $0.10 -> 0.80 - 0.05 - 0.05 = 0.70
    # b: 0.70 at 1 s and $0.01 -> 0.70: a tie, so they share a layer
    # c: 0.50 at 100 ms and cost unknown -> 0.50 + 0.05 - 0.05 * median(1, 0) = 0.525
    d = {x.model_id: x for x in place_category("c", {
        "p/a": {"humaneval": ev(0.80, lat=10_000, cost=0.10)},
        "p/b": {"humaneval": ev(0.70, lat=1000, cost=0.01)},
        "p/c": {"humaneval": ev(0.50, lat=100, cost=None)},
    }, HE)}
    assert d["p/a"].evidence["rank_score"] == pytest.approx(0.70)
    assert d["p/b"].evidence["rank_score"] == pytest.approx(0.70)
    assert d["p/c"].evidence["rank_score"] == pytest.approx(0.525)
    assert d["p/c"].evidence["assumed_neutral"] == ["cost"]
    assert d["p/a"].layer == d["p/b"].layer and d["p/a"].score == d["p/b"].score


def test_robustness_is_reported_not_placed() -> None:
    # Documented choice (benchmarks/pillars.py): robustness's failure share is already in
    # pass@1, so it is carried in the evidence and changes neither score nor layer.
    def population(robust: float) -> list:
        return place_category("c", {
            m: {"humaneval": BenchmarkEvidence(p, p - 0.05, p + 0.05, 1000.0, 0.01, r)}
            for m, p, r in (("p/a", 0.8, robust), ("p/b", 0.6, 0.9), ("p/c", 0.4, 0.9))}, HE)

    fragile, sturdy = population(0.1), population(1.0)
    assert [(x.model_id, x.layer, x.score) for x in fragile] == \
        [(x.model_id, x.layer, x.score) for x in sturdy]
    assert fragile[0].evidence["robustness"] == pytest.approx(0.1)
