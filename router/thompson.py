"""Beta-Bernoulli Thompson sampling as pure numpy functions.

Conventions used throughout the router:

- A model's belief in one category is Beta(alpha, beta) with alpha = prior_a + s and
  beta = prior_b + f, where s and f are its *discounted* success and failure masses.
- Warm start: a model whose benchmark pass rate p is known starts at
  Beta(1 + strength * p, 1 + strength * (1 - p)): the uniform prior plus `strength`
  pseudo-trials at rate p. Its mean is close to p, so a strong new model is tried
  early, yet `strength` real outcomes weigh as much as the benchmark, so a benchmark
  that flatters a model is overruled quickly. Unknown p: Beta(1, 1).
- Fractional rewards (a utility in [0, 1]) update by *fractional counts*:
  s += r, f += 1 - r. The alternative (a Bernoulli draw with probability r, Agrawal
  and Goyal 2012) keeps the posterior exactly conjugate but injects sampling noise and
  makes replaying stored outcomes non-deterministic; fractional counts keep the mean
  exactly the mean reward and coincide with the Bernoulli update when r is 0 or 1.
- Non-stationarity: before each update of a model, that model's evidence is
  multiplied by `gamma` (< 1), so its belief rests on an effective window of about
  1 / (1 - gamma) of its most recent outcomes. Only the updated model decays: a model
  that is not being routed keeps what is known about it instead of drifting back to
  its prior (which would make exploitation re-try every idle model). The prior itself
  never decays, so a warm start is never forgotten entirely.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def warm_start_prior(
    pass_rates: np.ndarray, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """Prior (a, b) per model; NaN pass rate means no benchmark evidence: Beta(1, 1)."""
    if strength < 0:
        raise ValueError(f"prior strength must be >= 0, got {strength}")
    p = np.asarray(pass_rates, dtype=float)
    known = ~np.isnan(p)
    p = np.clip(np.where(known, p, 0.0), 0.0, 1.0)
    a = np.where(known, 1.0 + strength * p, 1.0)
    b = np.where(known, 1.0 + strength * (1.0 - p), 1.0)
    return a, b


def discounted_update(
    s: np.ndarray,
    f: np.ndarray,
    arms: np.ndarray,
    rewards: np.ndarray,
    gamma: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply rewards (in order) to arms' discounted evidence; return new (s, f).

    Equivalent to, for each (arm, r) in sequence: s[arm] = gamma*s[arm] + r and
    f[arm] = gamma*f[arm] + (1 - r); vectorised so a batch of outcomes costs a few
    numpy calls: the j-th of an arm's n rewards carries weight gamma**(n-1-j) and the
    arm's old evidence is multiplied by gamma**n.
    """
    if not 0.0 < gamma <= 1.0:
        raise ValueError(f"discount gamma must be in (0, 1], got {gamma}")
    arms = np.asarray(arms, dtype=np.intp)
    rewards = np.asarray(rewards, dtype=float)
    if arms.shape != rewards.shape:
        raise ValueError("arms and rewards must have the same length")
    if rewards.size and (rewards.min() < 0.0 or rewards.max() > 1.0):
        raise ValueError("rewards must lie in [0, 1]")
    k = len(s)
    counts = np.bincount(arms, minlength=k)
    order = np.argsort(arms, kind="stable")
    sorted_arms = arms[order]
    starts = np.cumsum(counts) - counts
    rank = np.arange(arms.size) - starts[sorted_arms]
    weights = gamma ** (counts[sorted_arms] - 1 - rank).astype(float)
    r = rewards[order]
    decay = gamma ** counts.astype(float)
    new_s = s * decay + np.bincount(sorted_arms, weights=weights * r, minlength=k)
    new_f = f * decay + np.bincount(sorted_arms, weights=weights * (1.0 - r), minlength=k)
    return new_s, new_f


def posterior_mean(alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return alpha / (alpha + beta)


def sample_beta(rng: np.random.Generator, params: np.ndarray, size: int) -> np.ndarray:
    """`size` independent Beta draws per column of `params` (row 0 alpha, row 1 beta);
    returns shape (size, columns).

    Drawn as Ga(alpha) / (Ga(alpha) + Ga(beta)), exactly Beta-distributed, from one
    `standard_gamma` call: numpy's per-call overhead for array-valued shapes (about
    10 microseconds) dwarfs the per-draw cost (about 30 ns), so callers draw a block
    of rows at once (see `router.beliefs.CategoryBeliefs.thompson_row`).
    """
    params = np.asarray(params, dtype=float)
    g = rng.standard_gamma(params[:, None, :], size=(2, size, params.shape[1]))
    return g[0] / (g[0] + g[1])


def sample_beta_one(rng: np.random.Generator, alpha: float, beta: float, size: int) -> np.ndarray:
    """`size` Beta(alpha, beta) draws for a single arm (numpy's fast scalar-shape path)."""
    ga = rng.standard_gamma(alpha, size)
    return ga / (ga + rng.standard_gamma(beta, size))


def thompson_choice(rng: np.random.Generator, params: np.ndarray) -> int:
    """The arm whose posterior draw is highest (one fresh draw per arm)."""
    return int(sample_beta(rng, params, 1)[0].argmax())


def greedy_choice(mean: np.ndarray) -> int:
    """The arm with the best posterior mean; ties go to the earliest (fallback order)."""
    return int(mean.argmax())


def explore_or_exploit(
    rng: np.random.Generator,
    draw: Callable[[], np.ndarray],
    mean: np.ndarray,
    explore_fraction: float,
) -> tuple[int, bool]:
    """The router's policy: with probability `explore_fraction` a Thompson round (the
    arm whose posterior draw, from `draw()`, is highest), otherwise the arm with the
    best posterior mean. Returns (arm, was_a_thompson_round)."""
    if explore_fraction > 0.0 and rng.random() < explore_fraction:
        return int(draw().argmax()), True
    return int(mean.argmax()), False


def effective_window(gamma: float) -> float:
    """About how many recent outcomes a model's evidence rests on: 1 / (1 - gamma)."""
    return float("inf") if gamma >= 1.0 else 1.0 / (1.0 - gamma)


__all__ = [
    "discounted_update",
    "effective_window",
    "explore_or_exploit",
    "greedy_choice",
    "posterior_mean",
    "sample_beta",
    "sample_beta_one",
    "thompson_choice",
    "warm_start_prior",
]
