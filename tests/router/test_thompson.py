"""router.thompson against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from router.thompson import (
    discounted_update,
    effective_window,
    explore_or_exploit,
    greedy_choice,
    posterior_mean,
    sample_beta,
    sample_beta_one,
    thompson_choice,
    warm_start_prior,
)


def test_warm_start_is_uniform_plus_strength_pseudo_trials() -> None:
    a, b = warm_start_prior(np.array([0.8, np.nan, 0.0]), strength=20)
    # 0.8 at strength 20: 1 + 16 successes, 1 + 4 failures; unknown: Beta(1, 1).
    assert a.tolist() == [17.0, 1.0, 1.0]
    assert b.tolist() == pytest.approx([5.0, 1.0, 21.0])
    assert posterior_mean(a, b)[0] == pytest.approx(17 / 22)


def test_zero_strength_ignores_the_benchmark() -> None:
    a, b = warm_start_prior(np.array([0.9]), strength=0)
    assert (a[0], b[0]) == (1.0, 1.0)


def test_discounted_update_by_hand() -> None:
    # arm 0 starts at s=2, f=1 and sees rewards 1, 0, 1 with gamma 0.5:
    #   s = 2*0.5^3 + (1*0.25 + 0*0.5 + 1*1) = 0.25 + 1.25 = 1.5
    #   f = 1*0.5^3 + (0*0.25 + 1*0.5 + 0*1) = 0.125 + 0.5 = 0.625
    # arm 1 starts empty and sees one fractional reward 0.5: s = f = 0.5.
    # arm 2 sees nothing: untouched (only updated arms decay).
    s, f = discounted_update(
        np.array([2.0, 0.0, 3.0]), np.array([1.0, 0.0, 4.0]),
        arms=np.array([0, 1, 0, 0]), rewards=np.array([1.0, 0.5, 0.0, 1.0]), gamma=0.5,
    )
    assert s.tolist() == [1.5, 0.5, 3.0]
    assert f.tolist() == [0.625, 0.5, 4.0]


def test_batch_update_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    arms = rng.integers(0, 5, 300)
    rewards = rng.random(300)
    s0, f0 = rng.random(5) * 10, rng.random(5) * 10
    s, f = discounted_update(s0, f0, arms, rewards, 0.97)
    s1, f1 = s0.copy(), f0.copy()
    for arm, r in zip(arms, rewards, strict=True):
        s1[arm] = 0.97 * s1[arm] + r
        f1[arm] = 0.97 * f1[arm] + (1 - r)
    np.testing.assert_allclose(s, s1)
    np.testing.assert_allclose(f, f1)


def test_no_discount_is_plain_counting() -> None:
    s, f = discounted_update(np.zeros(2), np.zeros(2), np.array([1, 1, 1]),
                             np.array([1.0, 1.0, 0.0]), 1.0)
    assert s.tolist() == [0.0, 2.0] and f.tolist() == [0.0, 1.0]


@pytest.mark.parametrize("gamma", [0.0, 1.5])
def test_discount_outside_0_1_is_refused(gamma: float) -> None:
    with pytest.raises(ValueError, match="discount"):
        discounted_update(np.zeros(1), np.zeros(1), np.array([0]), np.array([1.0]), gamma)


def test_reward_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        discounted_update(np.zeros(1), np.zeros(1), np.array([0]), np.array([1.2]), 0.9)


def test_gamma_ratio_draws_are_beta_distributed() -> None:
    rng = np.random.default_rng(0)
    draws = sample_beta(rng, np.array([[2.0, 30.0], [6.0, 10.0]]), 200_000)
    assert draws.shape == (200_000, 2)
    # Beta(2, 6): mean 2/8 = 0.25, variance 2*6 / (8^2 * 9) = 0.0208333
    assert draws[:, 0].mean() == pytest.approx(0.25, abs=0.002)
    assert draws[:, 0].var() == pytest.approx(12 / 576, abs=0.0005)
    # Beta(30, 10): mean 0.75, variance 300 / (1600 * 41) = 0.0045732
    assert draws[:, 1].mean() == pytest.approx(0.75, abs=0.001)
    assert draws[:, 1].var() == pytest.approx(300 / 65600, abs=0.0001)
    one = sample_beta_one(rng, 2.0, 6.0, 200_000)
    assert one.mean() == pytest.approx(0.25, abs=0.002)


def test_thompson_prefers_the_clearly_better_arm_but_still_explores() -> None:
    rng = np.random.default_rng(1)
    params = np.array([[30.0, 70.0, 5.0], [70.0, 30.0, 5.0]])  # means 0.3, 0.7, 0.5 (wide)
    picks = np.bincount([thompson_choice(rng, params) for _ in range(4000)], minlength=3)
    assert picks[1] > picks[2] > picks[0]
    assert picks[2] > 100  # the uncertain arm still gets tried


def test_greedy_ties_go_to_the_fallback_order() -> None:
    assert greedy_choice(np.array([0.5, 0.7, 0.7])) == 1


def test_explore_fraction_is_the_share_of_thompson_rounds() -> None:
    rng = np.random.default_rng(2)
    mean = np.array([0.1, 0.9, 0.2, 0.3])

    def draw() -> np.ndarray:
        return np.array([0.0, 0.0, 1.0, 0.0])  # a Thompson round would pick arm 2

    rounds = [explore_or_exploit(rng, draw, mean, 0.2) for _ in range(10_000)]
    explored = np.mean([e for _, e in rounds])
    assert explored == pytest.approx(0.2, abs=0.015)
    assert {arm for arm, e in rounds if not e} == {1}
    assert {arm for arm, e in rounds if e} == {2}
    assert explore_or_exploit(rng, draw, mean, 0.0) == (1, False)
    assert explore_or_exploit(rng, draw, mean, 1.0) == (2, True)


def test_same_seed_same_choices() -> None:
    params = np.ones((2, 16))
    a = [thompson_choice(np.random.default_rng(9), params) for _ in range(3)]
    b = [thompson_choice(np.random.default_rng(9), params) for _ in range(3)]
    assert a == b


def test_effective_window() -> None:
    assert effective_window(0.99) == pytest.approx(100)
    assert effective_window(1.0) == float("inf")
