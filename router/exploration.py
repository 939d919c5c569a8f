"""Exploration mode: the shared on/off switch, its mode and budget, in the store.

Why in the store: an operator who runs `routerx explore on` expects every router
process (the HTTP server, each `routerx route` call, a second machine on the same
PostgreSQL) to start exploring, and a restart not to forget it. Writes bump the
`exploration_version` counter so running routers notice within one refresh interval.

A mode is a named set of defaults: the share of routes that are Thompson-sampling
rounds (budget, percent) and how many pseudo-trials a benchmark pass rate is worth in a
model's prior (prior strength). Explicit values override the mode's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from router.errors import InputError, UnknownNameError
from router.store.models import ExplorationState
from router.store.types import utcnow
from router.store.versions import EXPLORATION, bump_version


@dataclass(frozen=True, slots=True)
class ModeDefaults:
    budget: float
    prior_strength: float
    description: str


MODES: dict[str, ModeDefaults] = {
    "conservative": ModeDefaults(
        10.0, 40.0, "few Thompson rounds; benchmark evidence weighs as much as 40 outcomes"
    ),
    "balanced": ModeDefaults(
        20.0, 20.0, "one route in five explores; benchmarks weigh as much as 20 outcomes"
    ),
    "aggressive": ModeDefaults(
        40.0, 10.0, "two routes in five explore; live outcomes overrule benchmarks fast"
    ),
}
DEFAULT_MODE = "balanced"


@dataclass(frozen=True, slots=True)
class ExplorationStatus:
    active: bool
    mode: str
    budget: float
    prior_strength: float

    @property
    def explore_fraction(self) -> float:
        """Share of routes that are Thompson rounds (0 while inactive)."""
        return self.budget / 100.0 if self.active else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The documented `explore status --json` shape (budget an int when whole)."""
        budget: float | int = int(self.budget) if float(self.budget).is_integer() else self.budget
        return {"active": self.active, "mode": self.mode, "budget": budget}


def mode_defaults(mode: str) -> ModeDefaults:
    try:
        return MODES[mode]
    except KeyError:
        raise UnknownNameError("exploration mode", mode, MODES) from None


def validate_budget(budget: float) -> float:
    """A percentage of routes, 0..100; anything else is the caller's mistake."""
    try:
        value = float(budget)
    except (TypeError, ValueError):
        raise InputError(f"budget must be a number of percent (0-100), got {budget!r}") from None
    if math.isnan(value) or not 0.0 <= value <= 100.0:
        raise InputError(
            f"budget must be between 0 and 100 (percent of routes that explore), got {budget}"
        )
    return value


def validate_prior_strength(strength: float) -> float:
    value = float(strength)
    if math.isnan(value) or not 0.0 <= value <= 10_000.0:
        raise InputError(
            f"prior strength must be between 0 and 10000 pseudo-outcomes, got {strength}"
        )
    return value


def status_from_row(row: ExplorationState | None) -> ExplorationStatus:
    if row is None:
        defaults = MODES[DEFAULT_MODE]
        return ExplorationStatus(False, DEFAULT_MODE, defaults.budget, defaults.prior_strength)
    defaults = MODES.get(row.mode, MODES[DEFAULT_MODE])
    strength = row.prior_strength if row.prior_strength is not None else defaults.prior_strength
    return ExplorationStatus(bool(row.active), row.mode, float(row.budget), float(strength))


def read_exploration(session: Session) -> ExplorationStatus:
    return status_from_row(session.get(ExplorationState, 1))


def write_exploration(
    session: Session,
    *,
    active: bool,
    mode: str | None = None,
    budget: float | None = None,
    prior_strength: float | None = None,
) -> ExplorationStatus:
    """Switch exploration on or off. Turning it on without a mode keeps the stored mode;
    a mode without a budget takes the mode's budget; off keeps mode and budget for the
    next `on`."""
    row = session.get(ExplorationState, 1)
    current = status_from_row(row)
    if active:
        new_mode = mode if mode is not None else current.mode
        defaults = mode_defaults(new_mode)
        if budget is not None:
            new_budget = validate_budget(budget)
        elif mode is not None or row is None or current.budget == 0:
            new_budget = defaults.budget
        else:
            new_budget = current.budget
        strength = (
            validate_prior_strength(prior_strength)
            if prior_strength is not None
            else defaults.prior_strength
        )
    else:
        if mode is not None:
            mode_defaults(mode)
        new_mode = mode if mode is not None else current.mode
        new_budget = validate_budget(budget) if budget is not None else current.budget
        strength = (
            validate_prior_strength(prior_strength)
            if prior_strength is not None
            else current.prior_strength
        )
    if row is None:
        row = ExplorationState(id=1)
    row.active = active
    row.mode = new_mode
    row.budget = new_budget
    row.prior_strength = strength
    row.updated_at = utcnow()
    session.add(row)
    bump_version(session, EXPLORATION)
    return status_from_row(row)
