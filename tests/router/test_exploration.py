"""Exploration mode: modes, validation, persistence shared by every router process."""

from __future__ import annotations

import pytest

from router.errors import InputError, UnknownNameError
from router.exploration import (
    MODES,
    read_exploration,
    validate_budget,
    write_exploration,
)
from router.router import Router
from router.routing_settings import RouterConfig
from router.store import dispose_engines, session_scope
from tests.router.routing_fixtures import doc, seed


def test_off_by_default(database_url: str) -> None:
    with session_scope(database_url) as s:
        status = read_exploration(s)
    assert status.to_dict() == {"active": False, "mode": "balanced", "budget": 20}
    assert status.explore_fraction == 0.0


@pytest.mark.parametrize("mode", sorted(MODES))
def test_a_mode_sets_budget_and_prior_strength(database_url: str, mode: str) -> None:
    with session_scope(database_url) as s:
        status = write_exploration(s, active=True, mode=mode)
    assert status.budget == MODES[mode].budget
    assert status.prior_strength == MODES[mode].prior_strength
    assert status.explore_fraction == MODES[mode].budget / 100


def test_explicit_values_override_the_mode_and_off_keeps_them(database_url: str) -> None:
    with session_scope(database_url) as s:
        write_exploration(s, active=True, mode="aggressive", budget=33, prior_strength=5)
    with session_scope(database_url) as s:
        off = write_exploration(s, active=False)
    assert off.to_dict() == {"active": False, "mode": "aggressive", "budget": 33}
    with session_scope(database_url) as s:
        on = write_exploration(s, active=True)
    assert (on.mode, on.budget) == ("aggressive", 33)


@pytest.mark.parametrize("budget", [-1, 100.5, "lots", float("nan")])
def test_budget_is_validated(budget: object) -> None:
    with pytest.raises(InputError, match="budget"):
        validate_budget(budget)  # type: ignore[arg-type]


def test_unknown_mode_lists_the_modes(database_url: str) -> None:
    with session_scope(database_url) as s, pytest.raises(UnknownNameError) as err:
        write_exploration(s, active=True, mode="reckless")
    assert "aggressive, balanced, conservative" in str(err.value)


def test_state_is_shared_and_survives_restarts(database_url: str) -> None:
    seed(database_url, doc(3))
    cfg = RouterConfig(refresh_seconds=0)
    a, b = Router(database_url, config=cfg), Router(database_url, config=cfg)
    assert not b.exploration.active
    a.activate("conservative", 15)
    b.route("code-generation")  # a route checks the version counters
    assert b.exploration.to_dict() == {"active": True, "mode": "conservative", "budget": 15}
    dispose_engines()  # as if every process had exited
    c = Router(database_url)
    assert c.exploration.active and c.exploration.budget == 15
    c.deactivate()
    b.route("code-generation")
    assert not b.exploration.active
