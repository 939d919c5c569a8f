"""Values read out of JSON that someone else wrote (a provider's answer): a field that
should hold an object or a list may hold anything, or be missing.

Why functions instead of `x if isinstance(x, dict) else {}` inline: the type checker
cannot narrow a repeated `.get()` call, so the inline form typed every later access as
possibly None; these return the type the caller then relies on.
"""

from __future__ import annotations

from typing import Any


def obj(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def array(value: object) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []
