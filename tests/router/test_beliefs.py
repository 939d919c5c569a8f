"""router.beliefs: layout, evidence kept across re-arrangement, block Thompson draws."""

from __future__ import annotations

import numpy as np
import pytest

from router.beliefs import SAMPLE_ROWS, PosteriorBook


def _book(seed: int = 0, gamma: float = 1.0) -> PosteriorBook:
    book = PosteriorBook(gamma, np.random.default_rng(seed))
    book.arrange("c", ["a/x", "b/y"], np.array([0.8, np.nan]), strength=10)
    return book


def test_candidates_first_with_warm_priors() -> None:
    book = _book()
    beliefs = book.category("c")
    assert beliefs.models == ["a/x", "b/y"] and beliefs.candidates == 2
    assert book.belief("c", "a/x") == pytest.approx((9.0, 3.0))  # 1 + 10*0.8, 1 + 10*0.2
    assert book.belief("c", "b/y") == (1.0, 1.0)


def test_rearranging_keeps_evidence_by_model_id() -> None:
    book = _book()
    book.observe("c", ["b/y", "b/y", "z/new"], np.array([1.0, 0.0, 1.0]))
    book.arrange("c", ["z/new", "b/y"], np.array([np.nan, 0.5]), strength=2)
    beliefs = book.category("c")
    assert beliefs.models[:2] == ["z/new", "b/y"] and beliefs.candidates == 2
    assert book.belief("c", "b/y") == pytest.approx((2.0 + 1.0, 2.0 + 1.0))
    assert book.belief("c", "z/new") == (2.0, 1.0)
    assert book.belief("c", "a/x") == pytest.approx((9.0, 3.0))  # kept, now not a candidate


def test_single_and_batch_updates_agree() -> None:
    one, many = _book(gamma=0.9), _book(gamma=0.9)
    rewards = [1.0, 0.25, 0.0, 1.0]
    for r in rewards:
        one.observe("c", ["a/x"], np.array([r]))
    many.observe("c", ["a/x"] * 4, np.array(rewards))
    assert one.belief("c", "a/x") == pytest.approx(many.belief("c", "a/x"))


def test_block_draws_follow_the_current_posterior() -> None:
    """After an update mid-block, the updated model's remaining draws come from its new
    posterior, the others' from their unchanged one."""
    book = _book(seed=5)
    beliefs = book.category("c")
    beliefs.thompson_row()  # start a block
    book.observe("c", ["b/y"] * 1, np.array([1.0]))
    for _ in range(200):
        book.observe("c", ["b/y"], np.array([1.0]))  # b/y: Beta(202, 1), mean ~0.995
    rows = np.array([beliefs.thompson_row()[:2].copy() for _ in range(SAMPLE_ROWS * 50)])
    assert rows[:, 1].mean() == pytest.approx(202 / 203, abs=0.002)
    assert rows[:, 0].mean() == pytest.approx(9 / 12, abs=0.01)
    assert len(np.unique(rows[:, 0])) == len(rows)  # every row a fresh draw
