"""Statistics against values computed by hand (the arithmetic is in each comment)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.stats import (
    Z95,
    are_tied,
    mean_pass_at_k,
    pass_at_k,
    standardisation,
    wilson_interval,
    zscores,
)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        # 1 - C(3,1)/C(5,1) = 1 - 3/5
        (5, 2, 1, 0.4),
        # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (5, 2, 2, 0.7),
        # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (5, 2, 3, 0.9),
        # n - c = 3 < k = 4: every draw of 4 holds a pass
        (5, 2, 4, 1.0),
        # 1 - C(7,5)/C(10,5) = 1 - 21/252 = 11/12
        (10, 3, 5, 11 / 12),
        # no pass at all
        (10, 0, 5, 0.0),
        # all pass
        (10, 10, 1, 1.0),
        # one sample: pass@1 is the verdict itself
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        # 1 - C(195,100)/C(200,100) = 1 - prod_{i=196}^{200}(1 - 100/i)
        #   = 1 - (96*97*98*99*100)/(196*197*198*199*200) = 1 - 0.0281836... = 0.9718164...
        (200, 5, 100, 1 - (96 * 97 * 98 * 99 * 100) / (196 * 197 * 198 * 199 * 200)),
    ],
)
def test_pass_at_k_by_hand(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k)[0] == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_is_vectorised_and_matches_closed_form() -> None:
    n = np.array([5, 5, 10])
    c = np.array([2, 0, 3])
    closed = [1 - math.comb(ni - ci, 2) / math.comb(ni, 2) for ni, ci in zip(n, c, strict=True)]
    np.testing.assert_allclose(pass_at_k(n, c, 2), closed, atol=1e-12)


def test_pass_at_k_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)  # more passes than samples
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 5)  # pass@5 from 3 samples has no unbiased estimate
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 0)


def test_mean_pass_at_k_skips_k_beyond_samples() -> None:
    # task A: n=5 c=2 -> pass@1 = 0.4; task B: n=5 c=0 -> 0; mean 0.2
    # pass@5: A = 1 - C(3,5)/C(5,5) = 1 (n-c=3<5); B = 0; mean 0.5
    # pass@10 needs 10 samples per task: left out
    assert mean_pass_at_k([5, 5], [2, 0], [1, 5, 10]) == pytest.approx({1: 0.2, 5: 0.5})
    assert mean_pass_at_k([], [], [1]) == {}


def test_wilson_interval_by_hand() -> None:
    # s=8, n=10, z=1.959964: p=0.8, z^2=3.841459, denom = 1 + 3.841459/10 = 1.3841459
    # centre = (0.8 + 3.841459/20) / 1.3841459 = 0.9920729/1.3841459 = 0.7167402
    # half = z*sqrt(0.8*0.2/10 + 3.841459/400)/denom = 1.959964*sqrt(0.0256036)/1.3841459
    #      = 1.959964*0.1600114/1.3841459 = 0.3136170/1.3841459 = 0.2265777
    # -> (0.4901625, 0.9433179)
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4901625, abs=1e-6)
    assert high == pytest.approx(0.9433179, abs=1e-6)


def test_wilson_interval_at_the_edges() -> None:
    # s=0, n=10: centre = half = (z^2/20)/denom = 0.1920729/1.3841459 = 0.1387663
    # -> (0, 0.2775327); s=10 is its mirror image (0.7224673, 1)
    np.testing.assert_allclose(wilson_interval(0, 10), [0.0, 0.2775327], atol=1e-6)
    np.testing.assert_allclose(wilson_interval(10, 10), [0.7224673, 1.0], atol=1e-6)
    assert np.isnan(wilson_interval(0, 0)).all()
    out = wilson_interval(np.array([0, 8]), np.array([10, 10]))
    assert out.shape == (2, 2)
    assert Z95 == pytest.approx(1.96, abs=1e-3)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_zscores_by_hand() -> None:
    # [2,4,4,4,5,5,7,9]: mean 5, population variance (9+1+1+1+0+0+4+16)/8 = 4, std 2
    np.testing.assert_allclose(
        zscores([2, 4, 4, 4, 5, 5, 7, 9]), [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2]
    )
    # [1, nan, 2, 3]: population {1,2,3}, mean 2, std sqrt(2/3) = 0.8164966
    # -> (1-2)/0.8164966 = -1.2247449; NaN stays NaN
    out = zscores([1.0, math.nan, 2.0, 3.0])
    np.testing.assert_allclose(out[[0, 2, 3]], [-1.2247449, 0.0, 1.2247449], atol=1e-7)
    assert math.isnan(out[1])


def test_zscores_undefined_for_small_populations() -> None:
    assert np.isnan(zscores([0.7])).all()
    assert np.isnan(zscores([0.7, 0.9])).all()
    assert np.isnan(zscores([0.7, math.nan, 0.9, math.inf])).all()  # two finite values
    assert zscores([]).shape == (0,)


def test_zscores_zero_spread_is_zero() -> None:
    np.testing.assert_array_equal(zscores([0.5, 0.5, 0.5]), [0.0, 0.0, 0.0])


def test_exactly_tied_values_are_at_the_mean_whatever_the_value() -> None:
    # np.mean([0.7]*3) is 0.7 - 1.1e-16 and the std 1.1e-16: dividing one rounding residue
    # by another called three identical models "one standard deviation above the mean".
    for value in (0.7, 0.6, 0.1, 0.95):
        np.testing.assert_array_equal(zscores([value] * 3), [0.0, 0.0, 0.0])
    # 0.45 + 0.25 and 0.35 + 0.35 differ in the last bit; within the tolerance they tie.
    np.testing.assert_array_equal(zscores([0.45 + 0.25, 0.35 + 0.35, 0.7]), [0.0, 0.0, 0.0])
    # a tie beside NaN: NaN stays NaN, the tied finite values are 0
    out = zscores([0.7, math.nan, 0.7, 0.7])
    assert math.isnan(out[1]) and list(out[[0, 2, 3]]) == [0.0, 0.0, 0.0]


def test_tie_tolerance_is_relative_with_an_absolute_floor() -> None:
    assert are_tied([1.0, 1.0 + 5e-10, 1.0])  # range 5e-10 <= 1e-9 * 1 + 1e-12
    assert not are_tied([1.0, 1.0 + 5e-9])  # 5e-9 > 1.000000001e-9
    assert are_tied([1000.0, 1000.0 + 5e-7])  # relative: 5e-7 <= 1e-9 * 1000 + 1e-12
    assert are_tied([0.0, 5e-13]) and not are_tied([0.0, 5e-12])  # near zero: absolute
    assert are_tied([]) and are_tied([3.0]) and are_tied([2.0, math.nan, 2.0])
    # just outside the tolerance the values are really different: finite z, no blow-up
    # [1, 1, 1 + 3e-9]: mean 1 + 1e-9, std sqrt((2*1e-18 + 4e-18)/3) = 1.4142e-9
    # -> z = -1e-9/1.4142e-9 = -0.7071, +2e-9/1.4142e-9 = 1.4142 (up to float resolution)
    np.testing.assert_allclose(zscores([1.0, 1.0, 1.0 + 3e-9]), [-0.7071068, -0.7071068,
                                                                   1.4142136], atol=1e-6)


def test_standardisation_by_hand_and_order_free() -> None:
    # [0.2, 0.5, 0.8]: mean 0.5, population std sqrt((0.09 + 0 + 0.09)/3) = sqrt(0.06)
    mean, std = standardisation([0.8, 0.2, 0.5])
    assert mean == pytest.approx(0.5) and std == pytest.approx(math.sqrt(0.06))
    assert standardisation([0.2, 0.5, 0.8]) == standardisation([0.5, 0.8, 0.2])  # bit-equal
    assert standardisation([0.2, 0.5]) is None  # below the minimum population
    assert standardisation([0.7, 0.7, 0.7]) == (pytest.approx(0.7), math.inf)
