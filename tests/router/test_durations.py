"""Durations: readable ones parse; absurd ones are one clear error, never an overflow."""

from __future__ import annotations

from datetime import timedelta

import pytest

from router.durations import MAX_DURATION, parse_duration
from router.errors import InputError


def test_readable_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration(" 2D ") == timedelta(days=2)
    assert parse_duration(f"{MAX_DURATION.days}d") == MAX_DURATION


@pytest.mark.parametrize("text", ["99999999999999d", "1000000000w", "9" * 400 + "s", "3651d"])
def test_absurd_durations_are_input_errors(text: str) -> None:
    with pytest.raises(InputError, match="is longer than 3650 days") as info:
        parse_duration(text)
    assert len(str(info.value)) < 200  # a 400-digit value is shown cut


@pytest.mark.parametrize("text", ["soon", "", "1x", "-1h", "1e9d"])
def test_unreadable_durations(text: str) -> None:
    with pytest.raises(InputError, match="cannot read duration"):
        parse_duration(text)
