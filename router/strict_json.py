"""JSON as routerx accepts it from outside: UTF-8, finite numbers, 64-bit integers, and
strings that are valid Unicode.

Why not `json.loads` as is: Python's decoder takes `NaN`, `Infinity` and `1e999`
(which becomes inf), integers of any size, and `"\\ud800"` (a lone surrogate, which
no database or UTF-8 encoder accepts). Each of those used to travel on until something
deep in the store or the encoder failed with a 500. Here each is refused at the door
with the place it was found (`3.latency_ms`), so the caller learns which field to fix.

The common case costs nothing extra: the value is only walked when the raw text holds
something that could be one of those (a constant, a long run of digits, a big exponent
or a surrogate escape).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DEPTH = 64

_SUSPECT = re.compile(r"NaN|Infinity|\d{19}|[eE][+-]?\d{3}|\\[uU][dD][89a-fA-F]")


class JSONInputError(ValueError):
    """A body that is not acceptable JSON; `loc` is the path to the bad value."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class _Huge:
    """An integer literal too long for `int()` (over 4300 digits)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _int(text: str) -> int | _Huge:
    try:
        return int(text)
    except ValueError:
        return _Huge(len(text))


def loads(body: bytes | str) -> Any:
    """Decode a request body or raise JSONInputError naming where it is wrong."""
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONInputError((), f"the body is not UTF-8 (byte {exc.start}); "
                                     "send JSON encoded as UTF-8") from None
    else:
        text = body
    suspect = _SUSPECT.search(text) is not None
    try:
        value = json.loads(text, parse_int=_int if suspect else None)
    except json.JSONDecodeError as exc:
        raise JSONInputError((), f"not valid JSON: {exc.msg} at line {exc.lineno} "
                                 f"column {exc.colno}") from None
    except RecursionError:
        raise JSONInputError((), f"JSON nested too deeply; at most {MAX_DEPTH} levels") from None
    if suspect:
        check(value)
    return value


def check(value: Any) -> None:
    """Raise JSONInputError for the first value JSON should not carry (iteratively)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        loc, node = stack.pop()
        if len(loc) > MAX_DEPTH:
            raise JSONInputError(loc[:MAX_DEPTH], f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, item in node.items():
                _check_string(loc + ("(key)",), key)
                stack.append((loc + (key,), item))
        elif isinstance(node, list):
            stack.extend((loc + (i,), item) for i, item in enumerate(node))
        elif isinstance(node, str):
            _check_string(loc, node)
        elif isinstance(node, float) and not math.isfinite(node):
            shown = "NaN" if math.isnan(node) else "Infinity" if node > 0 else "-Infinity"
            raise JSONInputError(loc, f"{shown} is not a number this API accepts (NaN, "
                                      "Infinity and overflowing exponents such as 1e999 are "
                                      "refused); send a finite number")
        elif isinstance(node, _Huge):
            raise JSONInputError(loc, f"an integer of {node.digits} digits is beyond 64 bits; "
                                      f"send at most {INT64_MAX}")
        elif isinstance(node, int) and not isinstance(node, bool) and not (
                INT64_MIN <= node <= INT64_MAX):
            raise JSONInputError(loc, f"integer {node if abs(node) < 10**30 else '(30+ digits)'} "
                                      f"is beyond 64 bits; send at most {INT64_MAX}")


def _check_string(loc: tuple[str | int, ...], text: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise JSONInputError(loc, f"a lone surrogate (U+{ord(text[exc.start]):04X}) is not "
                                  "valid Unicode; send the character itself or a valid "
                                  "surrogate pair") from None
