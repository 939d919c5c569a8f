"""The posterior book: one Beta belief per (category, model), held as numpy arrays.

Per category the arrays are laid out with the category's current candidates first, in
fallback order, so the routing hot path takes plain slices (views, no copies) and
`argmax` ties fall to the fallback table's order. Evidence is keyed by model id, so a
new fallback table or a new prior strength re-lays the arrays without losing what was
learned. The statistics are the pure functions of `router.thompson`.

Thompson draws are taken from a block of pre-drawn rows (one Beta draw per model per
row, each row used once): drawing a block costs about as much as drawing one row, and
only the model an outcome updates has its column redrawn. Every round still sees a
fresh, independent draw from each model's current posterior, so this is exact Thompson
sampling, at a fraction of the cost on the routing hot path.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from router.thompson import discounted_update, sample_beta, sample_beta_one, warm_start_prior

SAMPLE_ROWS = 64


class CategoryBeliefs:
    """Arrays for one category. Row 0 is alpha (successes), row 1 beta (failures)."""

    __slots__ = ("models", "index", "prior", "evidence", "params", "mean", "candidates",
                 "rng", "samples", "cursor")

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.samples = np.empty((SAMPLE_ROWS, 0))
        self.cursor = SAMPLE_ROWS  # no live block: the first Thompson round draws one
        self.models: list[str] = []
        self.index: dict[str, int] = {}
        self.prior = np.ones((2, 0))
        self.evidence = np.zeros((2, 0))
        self.params = np.ones((2, 0))
        self.mean = np.zeros(0)
        self.candidates = 0

    def _refresh(self) -> None:
        self.params = self.prior + self.evidence
        self.mean = self.params[0] / (self.params[0] + self.params[1])
        self.cursor = SAMPLE_ROWS  # every column may have changed: draw a new block

    def thompson_row(self) -> np.ndarray:
        """One unused posterior draw per model (a view; candidates first)."""
        if self.cursor >= SAMPLE_ROWS:
            self.samples = sample_beta(self.rng, self.params, SAMPLE_ROWS)
            self.cursor = 0
        row = self.samples[self.cursor]
        self.cursor += 1
        return row

    def _add(self, model: str) -> int:
        i = len(self.models)
        self.models.append(model)
        self.index[model] = i
        self.prior = np.hstack([self.prior, np.ones((2, 1))])
        self.evidence = np.hstack([self.evidence, np.zeros((2, 1))])
        self._refresh()
        return i

    def arrange(self, candidates: Sequence[str], pass_rates: np.ndarray, strength: float) -> None:
        """Put `candidates` first, in order, with warm-start priors; keep all evidence."""
        rest = [m for m in self.models if m not in set(candidates)]
        order = list(candidates) + rest
        old = self.index
        evidence = np.zeros((2, len(order)))
        prior = np.ones((2, len(order)))
        for j, model in enumerate(order):
            if model in old:
                evidence[:, j] = self.evidence[:, old[model]]
                prior[:, j] = self.prior[:, old[model]]
        a, b = warm_start_prior(np.asarray(pass_rates, dtype=float), strength)
        prior[0, : len(candidates)] = a
        prior[1, : len(candidates)] = b
        self.models = order
        self.index = {m: j for j, m in enumerate(order)}
        self.prior, self.evidence = prior, evidence
        self.candidates = len(candidates)
        self._refresh()

    def observe(self, models: Sequence[str], rewards: np.ndarray, gamma: float) -> None:
        """Apply rewards in order; a model seen for the first time starts at Beta(1, 1)."""
        index = self.index
        if len(models) == 1:
            i = index.get(models[0])
            if i is None:
                i = self._add(models[0])
            r = float(rewards[0])
            if not 0.0 <= r <= 1.0:
                raise ValueError("rewards must lie in [0, 1]")
            ev = self.evidence
            ev[0, i] = gamma * ev[0, i] + r
            ev[1, i] = gamma * ev[1, i] + (1.0 - r)
            a = self.prior[0, i] + ev[0, i]
            b = self.prior[1, i] + ev[1, i]
            self.params[0, i] = a
            self.params[1, i] = b
            self.mean[i] = a / (a + b)
            if self.cursor < SAMPLE_ROWS:  # redraw only this model's column
                self.samples[:, i] = sample_beta_one(self.rng, a, b, SAMPLE_ROWS)
            return
        arms = np.empty(len(models), dtype=np.intp)
        for j, model in enumerate(models):
            i = index.get(model)
            arms[j] = self._add(model) if i is None else i
        s, f = discounted_update(self.evidence[0], self.evidence[1], arms, rewards, gamma)
        self.evidence = np.vstack([s, f])
        self.params = self.prior + self.evidence
        self.mean = self.params[0] / (self.params[0] + self.params[1])
        if self.cursor < SAMPLE_ROWS:  # redraw only the updated models' columns
            touched = np.unique(arms)
            self.samples[:, touched] = sample_beta(self.rng, self.params[:, touched],
                                                   SAMPLE_ROWS)

    def evidence_count(self, i: int) -> float:
        """Discounted number of outcomes behind model i's belief."""
        return float(self.evidence[0, i] + self.evidence[1, i])


class PosteriorBook:
    def __init__(self, gamma: float, rng: np.random.Generator) -> None:
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"discount must be in (0, 1], got {gamma}")
        self.gamma = gamma
        self.rng = rng
        self._categories: dict[str, CategoryBeliefs] = {}

    def category(self, category: str) -> CategoryBeliefs:
        beliefs = self._categories.get(category)
        if beliefs is None:
            beliefs = self._categories[category] = CategoryBeliefs(self.rng)
        return beliefs

    def arrange(
        self, category: str, candidates: Sequence[str], pass_rates: np.ndarray, strength: float
    ) -> None:
        self.category(category).arrange(candidates, pass_rates, strength)

    def observe(self, category: str, models: Sequence[str], rewards: np.ndarray) -> None:
        self.category(category).observe(models, rewards, self.gamma)

    def belief(self, category: str, model: str) -> tuple[float, float] | None:
        """(alpha, beta) of one model, or None if the book has never heard of it."""
        beliefs = self._categories.get(category)
        if beliefs is None or model not in beliefs.index:
            return None
        i = beliefs.index[model]
        return float(beliefs.params[0, i]), float(beliefs.params[1, i])
