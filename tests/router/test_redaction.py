"""Redaction removes every 8+ character fragment of a key, before anything is cut."""

from __future__ import annotations

import pytest

from router.redaction import MIN_FRAGMENT, Redactor, redact, truncate

KEY = "sk-proj-Zq8vT1mW4xR7pL2nC9hB"
OTHER = "sk-ant-api03-Yy5uI0oP3aS6dF"


def fragments(text: str, *keys: str) -> list[str]:
    """Every fragment of MIN_FRAGMENT characters of any key that occurs in text."""
    return [k[i:i + MIN_FRAGMENT] for k in keys for i in range(len(k) - MIN_FRAGMENT + 1)
            if k[i:i + MIN_FRAGMENT] in text]


@pytest.mark.parametrize("text", [
    f"Incorrect API key provided: {KEY}.",
    f"key prefix {KEY[:8]} only",
    f"tail {KEY[-9:]}",
    f"middle ...{KEY[5:17]}... of it",
    f"twice {KEY} and {KEY[:12]}",
    f"glued{KEY}{OTHER}glued",
])
def test_every_fragment_of_eight_or_more_goes(text: str) -> None:
    out = Redactor([KEY, OTHER]).text(text)
    assert fragments(out, KEY, OTHER) == [] and "***" in out


def test_text_around_a_fragment_is_kept() -> None:
    out = redact(f"before {KEY} after", [KEY])
    assert out == "before *** after"
    assert redact("nothing secret here", [KEY]) == "nothing secret here"
    seven = f"seven {KEY[:7]} is not a fragment"
    assert redact(seven, [KEY]) == seven


def test_every_key_of_a_rotated_list() -> None:
    out = redact(f"a={KEY[3:14]} b={OTHER[-10:]}", [KEY, OTHER])
    assert fragments(out, KEY, OTHER) == []


def test_short_keys_go_whole_and_tiny_values_are_not_secrets() -> None:
    assert redact("token abcd5 here", ["abcd5"]) == "token *** here"
    assert redact("a b c", ["b"]) == "a b c"


def test_redaction_comes_before_truncation() -> None:
    """The key straddles the cut at 200: cutting first would keep its head, too short
    to be recognised as a fragment once it stands alone."""
    text = "x" * (200 - 5) + KEY + " tail"
    assert redact(text[:200], [KEY]).endswith(KEY[:5])  # what cutting first would keep
    out = truncate(text, 200, Redactor([KEY]))
    assert out == "x" * 195 + "*** t…"


def test_json_values_and_object_keys_are_redacted_at_any_depth() -> None:
    deep: list = [f"inner {KEY}"]
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    body = {"choices": [{"message": {"content": f"print('{KEY}')"}}], KEY: 1, "n": 3,
            "deep": deep}
    out = Redactor([KEY]).json(body)
    assert out["choices"][0]["message"]["content"] == "print('***')"
    assert "***" in out and out["n"] == 3
    while isinstance(deep, list) and isinstance(deep[0], list):
        deep = deep[0]
    assert deep == ["inner ***"]


def test_repr_shows_no_key() -> None:
    assert KEY[:8] not in repr(Redactor([KEY]))
