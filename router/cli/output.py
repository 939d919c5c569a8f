"""Shared output helpers: Rich for people, exactly one JSON object for machines.

Rich is imported on first use (PEP 562 module `__getattr__`), not at start-up, so
`routerx --help` and `routerx route --json` do not pay for it.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from rich.console import Console

    console: Console
    err_console: Console


@cache
def _console(stderr: bool) -> Console:
    from rich.console import Console

    return Console(stderr=stderr)


def __getattr__(name: str) -> Any:
    if name == "console":
        return _console(False)
    if name == "err_console":
        return _console(True)
    raise AttributeError(name)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(payload: Any) -> None:
    """One JSON object on stdout and nothing else (no Rich markup, no wrapping)."""
    sys.stdout.write(json.dumps(payload, default=_default, sort_keys=False) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2) -> NoReturn:
    from rich.markup import escape

    _console(True).print(f"[bold red]error:[/] {escape(message)}", highlight=False,
                         soft_wrap=True)
    raise SystemExit(code)
