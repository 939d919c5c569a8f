"""Key lists from the environment: a value that cannot be a key is one clear error."""

from __future__ import annotations

import pytest

from router.errors import ConfigError
from router.providers.keys import KeyRing


@pytest.mark.parametrize(("value", "needle"), [
    (" , ", "OPENAI_API_KEY holds no key"),
    ("sk-good-0001,sk-bad\u00e9-0002", "key 2 holds a character that cannot go in an HTTP"),
    ("sk-tab\tinside", "key 1 holds a character"),
])
def test_a_value_that_cannot_be_a_key_is_a_config_error(value: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle) as info:
        KeyRing.from_env_value(value, "OPENAI_API_KEY")
    assert "bad" not in str(info.value) and "tab" not in str(info.value)


def test_every_key_of_the_ring_is_redacted() -> None:
    ring = KeyRing.from_env_value("sk-first-11111111,sk-second-2222222", "OPENAI_API_KEY")
    assert ring.redactor.text("a sk-first-111 b sk-second-22 c") == "a *** b *** c"
    assert "first" not in repr(ring)
