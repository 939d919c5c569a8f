"""Human durations on the command line and in the API: `90s`, `30m`, `1h`, `2d`, `1h30m`.

At most `MAX_DURATION` (ten years): a longer one is a typo, and past a point it cannot
even be added to today's date (`99999999999999d` overflows `datetime`).
"""

from __future__ import annotations

import re
from datetime import timedelta

from router.errors import InputError
from router.ids import shown

MAX_DURATION = timedelta(days=3650)

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    cleaned = text.strip().lower().replace(" ", "")
    parts = _PART.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise InputError(
            f"cannot read duration {shown(text)}: "
            "use a number and a unit, e.g. 90s, 30m, 1h, 2d or 1h30m"
        )
    try:
        total = sum((timedelta(**{_UNITS[u]: float(n)}) for n, u in parts), timedelta())
    except OverflowError:
        total = None
    if total is None or total > MAX_DURATION:
        raise InputError(
            f"duration {shown(text)} is longer than {MAX_DURATION.days} days; use a shorter one"
        )
    return total
