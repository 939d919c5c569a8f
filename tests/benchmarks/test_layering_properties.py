"""Invariants of placement, checked on generated populations (hypothesis).

Populations are what a real assessment produces: every model measured on the same n
tasks, pass@1 = k/n with its Wilson interval, latencies and costs drawn from a few
values so that ties are frequent, and random previous layers on the same scale.
Derandomised: the same examples every run, so a failure reproduces and CI is stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.layering import BenchmarkEvidence, Decision, place_category
from benchmarks.stats import wilson_interval

CATEGORY = {"humaneval": 1.0}
PROPERTY = settings(max_examples=120, deadline=None, derandomize=True, database=None)

LATENCIES = (300.0, 1000.0, 4000.0, 20_000.0)
COSTS = (0.001, 0.01, 0.05)


@dataclass(frozen=True)
class Spec:
    k: int
    latency: float
    cost: float
    previous: int | None


@dataclass(frozen=True)
class Population:
    n: int
    specs: dict[str, Spec]

    def evidence(self) -> dict[str, dict[str, BenchmarkEvidence]]:
        out = {}
        for model, s in self.specs.items():
            lo, hi = wilson_interval(s.k, self.n)
            out[model] = {"humaneval": BenchmarkEvidence(
                s.k / self.n, float(lo), float(hi), s.latency, s.cost)}
        return out

    def previous(self) -> dict[str, tuple[int, bool]]:
        provisional = len(self.specs) < 3
        return {m: (s.previous, provisional) for m, s in self.specs.items()
                if s.previous is not None}

    def place(self) -> list[Decision]:
        return place_category("code-generation", self.evidence(), CATEGORY, self.previous())


@st.composite
def populations(draw: st.DrawFn, min_size: int = 1, max_size: int = 7) -> Population:
    n = draw(st.sampled_from((10, 20, 40, 164)))
    size = draw(st.integers(min_size, max_size))
    specs = {}
    for i in range(size):
        specs[f"p/m{i}"] = Spec(
            k=draw(st.integers(0, n)),
            latency=draw(st.sampled_from(LATENCIES)),
            cost=draw(st.sampled_from(COSTS)),
            previous=draw(st.none() | st.integers(1, 6)),
        )
    return Population(n, specs)


def summary(decisions: list[Decision]) -> list[tuple]:
    return [(d.model_id, d.layer, d.score, d.provisional, d.pass_rate, d.evidence)
            for d in decisions]


@PROPERTY
@given(populations(), st.randoms(use_true_random=False))
def test_permuting_the_models_changes_nothing(pop: Population, rnd) -> None:
    names = list(pop.specs)
    rnd.shuffle(names)
    shuffled = Population(pop.n, {m: pop.specs[m] for m in names})
    assert summary(shuffled.place()) == summary(pop.place())


@PROPERTY
@given(populations(min_size=2))
def test_better_accuracy_at_equal_latency_and_cost_is_never_placed_lower(
        pop: Population) -> None:
    layers = {d.model_id: d.layer for d in pop.place()}
    for a, sa in pop.specs.items():
        for b, sb in pop.specs.items():
            if (sa.latency, sa.cost) == (sb.latency, sb.cost) and sa.k > sb.k:
                assert layers[a] <= layers[b], (a, b)


@PROPERTY
@given(populations(), st.data())
def test_adding_a_dominated_model_never_reorders_the_others(pop: Population, data) -> None:
    # the newcomer is no better than some existing model on accuracy, latency and cost
    base = pop.specs[data.draw(st.sampled_from(sorted(pop.specs)))]
    worse = Spec(
        k=data.draw(st.integers(0, base.k)),
        latency=data.draw(st.sampled_from([x for x in LATENCIES if x >= base.latency])),
        cost=data.draw(st.sampled_from([x for x in COSTS if x >= base.cost])),
        previous=None,
    )
    grown = Population(pop.n, {**pop.specs, "p/dominated": worse})
    before = [d.model_id for d in pop.place()]
    after = [d.model_id for d in grown.place() if d.model_id != "p/dominated"]
    assert after == before


@PROPERTY
@given(populations(), st.data())
def test_tied_models_share_a_layer(pop: Population, data) -> None:
    twin_of = data.draw(st.sampled_from(sorted(pop.specs)))
    twin = pop.specs[twin_of]
    twin = Spec(twin.k, twin.latency, twin.cost, data.draw(st.none() | st.integers(1, 6)))
    grown = Population(pop.n, {**pop.specs, "p/twin": twin})
    layers = {d.model_id: d.layer for d in grown.place()}
    assert layers["p/twin"] == layers[twin_of]
    # ... and so do all models with the same measurement
    by_measure: dict[tuple, set[int]] = {}
    for m, s in grown.specs.items():
        by_measure.setdefault((s.k, s.latency, s.cost), set()).add(layers[m])
    assert all(len(v) == 1 for v in by_measure.values())


@PROPERTY
@given(populations())
def test_fallback_order_never_contradicts_the_layers(pop: Population) -> None:
    decisions = pop.place()
    layers = [d.layer for d in decisions]
    assert layers == sorted(layers)
    ranks = [d.evidence["rank_score"] for d in decisions]
    assert ranks == sorted(ranks, reverse=True)  # and never against the rank score
    assert all(1 <= x <= 6 for x in layers)


@PROPERTY
@given(populations())
def test_placements_are_deterministic(pop: Population) -> None:
    assert summary(pop.place()) == summary(pop.place())
    assert summary(Population(pop.n, dict(pop.specs)).place()) == summary(pop.place())
