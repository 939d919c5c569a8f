"""Shared output helpers: Rich for people, exactly one JSON object for machines.

Rich is imported on first use (PEP 562 module `__getattr__`), not at start-up, so
`routerx --help` and `routerx route --json` do not pay for it.

Every value that comes from outside (a model id, a category, a provider's error, a file
name) reaches Rich through `text()` or `markup()`: Rich reads `[...]` in a plain string
as markup, so an id like `[/x]` would crash the print and `[bold]` would restyle it; and
a control character stored by an older routerx (ESC, NUL) would reach the terminal raw.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from router.ids import visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

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


def text(value: object, style: str = "") -> Text:
    """A Rich Text of an outside value: printed literally, never read as markup."""
    from rich.text import Text

    return Text(visible(value), style=style)


def lines(values: Iterable[object]) -> Text:
    """Several outside values, one per line of a table cell, each shown as by `text()`."""
    from rich.text import Text

    return Text("\n").join(text(v) for v in values)


def markup(value: object) -> str:
    """An outside value to embed in a Rich markup string (f"[bold]{markup(x)}[/]")."""
    from rich.markup import escape

    return escape(visible(value))


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
    """The one line a user's mistake gets on stderr, then exit `code`."""
    _console(True).print(f"[bold red]error:[/] {markup(message)}", highlight=False,
                         soft_wrap=True)
    raise SystemExit(code)
