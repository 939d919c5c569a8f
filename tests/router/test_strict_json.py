"""Strict JSON: what Python's decoder would let through is refused with its place."""

from __future__ import annotations

import pytest

from router.strict_json import INT64_MAX, INT64_MIN, JSONInputError, loads


@pytest.mark.parametrize(("text", "loc", "needle"), [
    ('{"a": NaN}', ("a",), "NaN is not a number"),
    ('{"a": [1, -Infinity]}', ("a", 1), "-Infinity"),
    ('{"a": 1e999}', ("a",), "Infinity"),
    ('{"a": ' + "1" * 400 + ".5}", ("a",), "Infinity"),
    (f'{{"a": {INT64_MAX + 1}}}', ("a",), "beyond 64 bits"),
    (f'[{INT64_MIN - 1}]', (0,), "beyond 64 bits"),
    ('{"a": ' + "7" * 5000 + "}", ("a",), "5000 digits is beyond 64 bits"),
    ('{"a": {"b": "x\\ud800"}}', ("a", "b"), r"lone surrogate \(U\+D800\)"),
    ('{"\\udc00": 1}', ("(key)",), r"lone surrogate \(U\+DC00\)"),
    ("[" * 100_000 + "]" * 100_000, (), "nested too deeply"),
    ('{"a": 1', (), "not valid JSON"),
])
def test_refused_with_the_place(text: str, loc: tuple, needle: str) -> None:
    with pytest.raises(JSONInputError, match=needle) as info:
        loads(text.encode())
    assert info.value.loc == loc


def test_accepted_values_are_as_json_loads_gives_them() -> None:
    text = ('{"x": [1.5, -2, 9223372036854775807, -9223372036854775808, 1e308, "\\u00e9", '
            '"\\ud83d\\ude00", "NaN", "Infinity"], "ok": true}')
    assert loads(text.encode()) == {"x": [1.5, -2, INT64_MAX, INT64_MIN, 1e308, "é", "😀",
                                          "NaN", "Infinity"], "ok": True}


def test_bytes_that_are_not_utf8() -> None:
    with pytest.raises(JSONInputError, match="not UTF-8 \\(byte 6\\)"):
        loads(b'{"a": \xff}')
    with pytest.raises(JSONInputError, match="not UTF-8"):
        loads('"\ud800"'.encode("utf-8", "surrogatepass"))  # an encoded lone surrogate
