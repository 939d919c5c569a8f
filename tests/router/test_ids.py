"""The model id and category rule (router/ids.py)."""

from __future__ import annotations

import pytest

from router.errors import InputError, RouterxError
from router.ids import (
    MAX_CATEGORY,
    MAX_MODEL_ID,
    check_category,
    check_model_id,
    is_model_id,
    shown,
)

GOOD_IDS = [
    "openai/gpt-5.2",
    "ollama/llama3.1:8b",
    "openrouter/meta-llama/llama-3.1-8b-instruct:free",
    "simulated/[/x]",
    "simulated/[bold]",
    "lab/modèle-é",
    "p/" + "m" * (MAX_MODEL_ID - 2),
]

BAD_IDS = [
    ("", "empty"),
    ("gpt-5.2", "not provider/model"),
    ("/gpt", "not provider/model"),
    ("openai/", "not provider/model"),
    ("openai/gpt 5", "U+0020"),
    (" openai/gpt", "U+0020"),
    ("openai/gpt\n", "U+000A"),
    ("openai/gpt\tx", "U+0009"),
    ("openai/gpt\x00x", "U+0000"),
    ("openai/\x1b[31mred", "U+001B"),
    ("openai/gpt\x7f", "U+007F"),
    ("openai/gpt\x85", "U+0085"),
    ("openai/gpt\u202eevil", "U+202E"),
    ("openai/zero\u200bwidth", "U+200B"),
    ("openai/nb\u00a0sp", "U+00A0"),
    ("openai/line\u2028sep", "U+2028"),
    ("openai/lone\ud800", "U+D800"),
    ("p/" + "m" * MAX_MODEL_ID, "too long"),
]


@pytest.mark.parametrize("value", GOOD_IDS)
def test_acceptable_ids_pass_unchanged(value: str) -> None:
    assert check_model_id(value) == value
    assert is_model_id(value)


@pytest.mark.parametrize(("value", "reason"), BAD_IDS)
def test_bad_ids_are_refused_naming_value_and_rule(value: str, reason: str) -> None:
    with pytest.raises(InputError) as info:
        check_model_id(value, "--model")
    message = str(info.value)
    assert isinstance(info.value, RouterxError)
    assert message.startswith("--model")
    assert reason in message
    assert "provider/model" in message  # the rule
    assert "\n" not in message and "\x00" not in message and "\x1b" not in message
    assert len(message) < 400  # a huge id is shown by its head, not whole
    if value and len(value) < 40:
        assert repr(value) in message
    assert not is_model_id(value)


@pytest.mark.parametrize("value", [None, 3, b"openai/gpt", ["openai/gpt"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(InputError, match="must be a string"):
        check_model_id(value)
    with pytest.raises(InputError, match="must be a string"):
        check_category(value)


def test_categories() -> None:
    for good in ("code-generation", "debugging", "x", "[bold]", "c" * MAX_CATEGORY):
        assert check_category(good) == good
    for bad, reason in (("", "empty"), ("code generation", "U+0020"),
                        ("code\x00gen", "U+0000"), ("c" * (MAX_CATEGORY + 1), "too long"),
                        ("tab\tbed", "U+0009")):
        with pytest.raises(InputError, match="a category is 1 to") as info:
            check_category(bad)
        assert reason in str(info.value)


def test_shown_is_one_line_and_bounded() -> None:
    assert shown("a\nb") == "'a\\nb'"
    long = shown("x" * 10_000)
    assert len(long) < 120 and "10000 characters" in long
