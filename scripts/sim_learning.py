"""Learning by simulation: cumulative regret of four policies, and a drift scenario.

Bernoulli outcomes; 16 models with success rates spread evenly from 0.35 to 0.85;
5,000 routes per run; 20 seeds; exploration budget 20%. Policies, side by side:

  plan      the original plan as it would run: 20% Thompson rounds, which alone feed
            the posteriors, and 80% a fixed mid-table model
  ts        uniform-prior Thompson sampling on every route (the textbook baseline)
  router    routerx's policy: `router.core.RoutingCore` with exploration on (20%
            Thompson rounds, 80% best posterior mean, every outcome learned, evidence
            discounted), uniform priors, fallback order random (no information)
  warm      the same with a warm start: each model's pass rate estimated with noise
            (sd 0.05) at prior strength 20, fallback order by those estimates

The router variants call the very objects `Router.route()` and `Router.record()` use
(`RoutingCore.route`, `router.reward.rewards`, `RoutingCore.observe`); only the store
is left out, which does not take part in any decision.

Drift: the best model's success rate drops by 0.3 halfway (route 2,500). "Preferring" a
model means sending it more of the last 100 tasks than any other; reported is how many
routes after the drop it takes until the dropped model is never again the most-routed
model of the trailing 100 routes (target at most 500). Also shown: the last route at
which its posterior mean still led (a stricter, noisier measure: an abandoned model's
belief freezes near the level at which it was overtaken, and a dip of the new leader
can briefly put it back on top), and its share of all routes from 500 routes after the
drop on.

Example:
    python scripts/sim_learning.py            # full run, ~1 minute on one core
    python scripts/sim_learning.py --seeds 5 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass

import numpy as np

from router.core import RoutingCore
from router.exploration import ExplorationStatus
from router.reward import RewardWeights
from router.reward import rewards as utilities
from router.routing_settings import RouterConfig
from router.routing_table import RoutingTable
from router.thompson import thompson_choice

CATEGORY = "code-generation"
NO_PENALTY = RewardWeights()
NAN1 = np.array([np.nan])


@dataclass(frozen=True)
class Scenario:
    models: int = 16
    lo: float = 0.35
    hi: float = 0.85
    routes: int = 5000
    budget: float = 20.0
    strength: float = 20.0
    noise: float = 0.05
    drop: float = 0.3

    def rates(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, self.models)


# --- baselines (the plan, and textbook Thompson sampling) ------------------------------


def plan_regret(sc: Scenario, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rates = sc.rates()
    best = rates.max()
    fixed = int(np.argsort(rates)[::-1][sc.models // 2])  # the mid-table model
    ab = np.ones((2, sc.models))
    regret = 0.0
    for _ in range(sc.routes):
        if rng.random() < sc.budget / 100:
            arm = thompson_choice(rng, ab)
            win = rng.random() < rates[arm]
            ab[0 if win else 1, arm] += 1  # only exploration rounds learn
        else:
            arm = fixed
            rng.random()
        regret += best - rates[arm]
    return regret


def ts_regret(sc: Scenario, seed: int) -> float:
    rng = np.random.default_rng(seed)
    rates = sc.rates()
    best = rates.max()
    ab = np.ones((2, sc.models))
    regret = 0.0
    for _ in range(sc.routes):
        arm = thompson_choice(rng, ab)
        ab[0 if rng.random() < rates[arm] else 1, arm] += 1
        regret += best - rates[arm]
    return regret


# --- the router's own policy -----------------------------------------------------------


def make_core(
    sc: Scenario, seed: int, *, warm: bool, discount: float
) -> tuple[RoutingCore, list[str], np.random.Generator]:
    """A RoutingCore over 16 simulated models, exploring at the scenario's budget."""
    env = np.random.default_rng(10_000 + seed)
    rates = sc.rates()
    ids = [f"sim/model-{i:02d}" for i in range(sc.models)]
    if warm:
        estimates = np.clip(rates + env.normal(0.0, sc.noise, sc.models), 0.0, 1.0)
        order = [ids[i] for i in np.argsort(-estimates, kind="stable")]
        pass_rates = {(CATEGORY, ids[i]): float(estimates[i]) for i in range(sc.models)}
    else:
        order = [ids[i] for i in env.permutation(sc.models)]
        pass_rates = {}
    table = RoutingTable.build(
        {CATEGORY: order}, {m: ("sim", "assessed") for m in ids}, pass_rates
    )
    status = ExplorationStatus(True, "balanced", sc.budget, sc.strength if warm else 0.0)
    core = RoutingCore(
        table,
        status,
        rng=np.random.default_rng(seed),
        discount=discount,
        default_category=CATEGORY,
    )
    return core, ids, np.random.default_rng(20_000 + seed)


def most_routed_until(chosen: np.ndarray, start: int, arm: int, models: int,
                      window: int = 100) -> int:
    """Routes after `start` until `arm` is, for good, not the most-routed model of the
    trailing `window` routes: the last route t >= start whose trailing window gave it at
    least as many routes as any other model, counted from `start` (0: never)."""
    first = max(0, start - window + 1)
    seq = chosen[first:]
    onehot = np.zeros((seq.size, models))
    onehot[np.arange(seq.size), seq] = 1.0
    cum = np.vstack([np.zeros(models), np.cumsum(onehot, axis=0)])
    ends = np.arange(start - first, seq.size)  # trailing windows ending at these routes
    counts = cum[ends + 1] - cum[np.maximum(ends + 1 - window, 0)]
    leading = counts[:, arm] >= np.delete(counts, arm, axis=1).max(axis=1)
    hits = np.nonzero(leading)[0]
    return 0 if hits.size == 0 else int(hits.max()) + 1


@dataclass(frozen=True)
class Drift:
    routes_to_abandon: int  # after this many routes it never leads the last 100 again
    last_best_mean: int  # last route (after the drop) at which its posterior mean led
    late_share: float  # its share of routes from 500 routes after the drop to the end
    share_before: float  # its share of the 500 routes before the drop


def router_run(
    sc: Scenario, seed: int, *, warm: bool, discount: float, drift: bool = False
) -> tuple[float, Drift | None]:
    """Cumulative regret, and with `drift` how fast the dropped model is abandoned."""
    core, ids, outcome_rng = make_core(sc, seed, warm=warm, discount=discount)
    rates = dict(zip(ids, sc.rates(), strict=True))
    best_model = max(rates, key=rates.__getitem__)
    index = {m: i for i, m in enumerate(ids)}
    half = sc.routes // 2
    regret = 0.0
    last_best_mean = 0
    chosen = np.empty(sc.routes, dtype=np.intp)
    beliefs = core.beliefs.category(CATEGORY)
    for t in range(sc.routes):
        if drift and t == half:
            rates[best_model] -= sc.drop
        choice = core.route(CATEGORY)
        chosen[t] = index[choice.model]
        p = rates[choice.model]
        regret += max(rates.values()) - p
        success = np.array([float(outcome_rng.random() < p)])
        core.observe(CATEGORY, [choice.model], utilities(success, NAN1, NAN1, NAN1,
                                                         NO_PENALTY, None, None))
        if drift and t >= half:
            k = beliefs.candidates
            if beliefs.models[int(np.argmax(beliefs.mean[:k]))] == best_model:
                last_best_mean = t - half + 1
    if not drift:
        return regret, None
    after = chosen[half:]
    arm = index[best_model]
    return regret, Drift(
        routes_to_abandon=most_routed_until(chosen, half, arm, sc.models),
        last_best_mean=last_best_mean,
        late_share=float(np.mean(after[500:] == arm)) if after.size > 500 else 0.0,
        share_before=float(np.mean(chosen[max(0, half - 500) : half] == arm)),
    )


def drift_summary(runs: list[Drift]) -> dict:
    abandon = [d.routes_to_abandon for d in runs]
    strict = [d.last_best_mean for d in runs]
    return {
        "routes_to_abandon": {"median": float(np.median(abandon)), "max": int(max(abandon))},
        "last_route_with_best_mean": {"median": float(np.median(strict)), "max": int(max(strict))},
        "share_of_routes_after_500": float(np.mean([d.late_share for d in runs])),
        "share_of_routes_before_drop": float(np.mean([d.share_before for d in runs])),
    }


# --- the report ------------------------------------------------------------------------


def run(sc: Scenario, seeds: int, discount: float) -> dict:
    started = time.perf_counter()
    seeds_ = range(seeds)
    plan = np.array([plan_regret(sc, s) for s in seeds_])
    ts = np.array([ts_regret(sc, s) for s in seeds_])
    router = np.array([router_run(sc, s, warm=False, discount=discount)[0] for s in seeds_])
    warm = np.array([router_run(sc, s, warm=True, discount=discount)[0] for s in seeds_])
    drift_cold = drift_summary(
        [router_run(sc, s, warm=False, discount=discount, drift=True)[1] for s in seeds_]
    )
    drift_warm = drift_summary(
        [router_run(sc, s, warm=True, discount=discount, drift=True)[1] for s in seeds_]
    )
    return {
        "scenario": {**sc.__dict__, "seeds": seeds, "discount": discount},
        "mean_regret": {
            "plan": float(plan.mean()),
            "uniform_ts": float(ts.mean()),
            "router": float(router.mean()),
            "router_warm_start": float(warm.mean()),
        },
        "ratios": {
            "router_vs_plan": float(router.mean() / plan.mean()),
            "router_warm_vs_uniform_ts": float(warm.mean() / ts.mean()),
            "router_vs_uniform_ts": float(router.mean() / ts.mean()),
        },
        "drift": {"router": drift_cold, "router_warm_start": drift_warm},
        "targets": {
            "router_vs_plan<=0.12": bool(router.mean() / plan.mean() <= 0.12),
            "warm_vs_uniform_ts<=0.7": bool(warm.mean() / ts.mean() <= 0.7),
            "drift_abandoned_within_500": bool(
                max(d["routes_to_abandon"]["max"] for d in (drift_cold, drift_warm)) <= 500
            ),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--routes", type=int, default=5000)
    parser.add_argument("--budget", type=float, default=20.0)
    parser.add_argument("--discount", type=float, default=RouterConfig().discount)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    sc = Scenario(routes=args.routes, budget=args.budget)
    report = run(sc, args.seeds, args.discount)
    if args.json:
        print(json.dumps(report))
        return 0
    m, r = report["mean_regret"], report["ratios"]
    print(f"{args.seeds} seeds x {sc.routes} routes, 16 models {sc.lo}..{sc.hi}, "
          f"budget {sc.budget:g}%, discount {args.discount}")
    print("mean cumulative regret:")
    for name, value in m.items():
        print(f"  {name:<20} {value:9.1f}")
    print(f"router / plan             {r['router_vs_plan']:.3f}   (target <= 0.12)")
    print(f"router warm / uniform TS  {r['router_warm_vs_uniform_ts']:.3f}   (target <= 0.7)")
    print(f"router / uniform TS       {r['router_vs_uniform_ts']:.3f}")
    for name, d in report["drift"].items():
        a, b = d["routes_to_abandon"], d["last_route_with_best_mean"]
        print(f"drift, {name}: routes until the dropped model is never again the most "
              f"routed of the last 100: median {a['median']:.0f}, max {a['max']} "
              "(target <= 500)")
        print(f"    last route where its posterior mean still led: median {b['median']:.0f}, "
              f"max {b['max']}; its share of routes: {d['share_of_routes_before_drop']:.1%} "
              f"in the 500 before the drop, {d['share_of_routes_after_500']:.2%} from +500 on")
    print(f"targets met: {report['targets']}  ({report['seconds']} s)")
    return 0 if all(report["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
