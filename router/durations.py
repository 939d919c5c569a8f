"""Human durations on the command line: `90s`, `30m`, `1h`, `2d`, `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta

from router.errors import InputError

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    cleaned = text.strip().lower().replace(" ", "")
    parts = _PART.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned:
        raise InputError(
            f"cannot read duration {text!r}: "
            "use a number and a unit, e.g. 90s, 30m, 1h, 2d or 1h30m"
        )
    return sum(
        (timedelta(**{_UNITS[u]: float(n)}) for n, u in parts), timedelta()
    )
