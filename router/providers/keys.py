"""API keys: rotation between several keys, and resting a key that was rate limited."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from router.errors import ConfigError
from router.redaction import Redactor, redact, redactor

__all__ = ["KeyRing", "redact"]


class KeyRing:
    """Hands out keys round-robin, skipping keys that are resting after a 429.

    Why rotate: a comma-separated key list is how users spread load over several
    accounts; a key that hit its rate limit should rest while the others work.
    The keys never appear in repr(), so a KeyRing in a traceback or log leaks nothing.
    """

    def __init__(self, keys: Iterable[str], env_var: str) -> None:
        self._keys = [k.strip() for k in keys if k.strip()]
        if not self._keys:
            raise ConfigError(f"{env_var} holds no key; set it to a key or a comma-separated list")
        for n, key in enumerate(self._keys, 1):
            # A key goes into an HTTP header: anything but visible ASCII would fail there
            # with a transport error that says less (and would be echoed in no message).
            if not (key.isascii() and key.isprintable()) or any(c.isspace() for c in key):
                raise ConfigError(
                    f"{env_var}: key {n} holds a character that cannot go in an HTTP header "
                    "(only visible ASCII, no spaces); check the value you exported"
                )
        self.env_var = env_var
        self._next = 0
        self._resting_until: dict[int, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_env_value(cls, value: str, env_var: str) -> KeyRing:
        return cls(value.split(","), env_var)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing({self.env_var}, {len(self._keys)} key(s))"

    def secrets(self) -> tuple[str, ...]:
        """Every key, for redaction of text that might echo one back."""
        return tuple(self._keys)

    @property
    def redactor(self) -> Redactor:
        """Removes a fragment of any of these keys from text (every key of the ring)."""
        return redactor(tuple(self._keys))

    def acquire(self) -> str:
        """The next key not resting; if all rest, the one that is free soonest."""
        with self._lock:
            now = time.monotonic()
            n = len(self._keys)
            for offset in range(n):
                i = (self._next + offset) % n
                if self._resting_until.get(i, 0.0) <= now:
                    self._next = (i + 1) % n
                    return self._keys[i]
            i = min(range(n), key=lambda j: self._resting_until.get(j, 0.0))
            self._next = (i + 1) % n
            return self._keys[i]

    def rest(self, key: str, seconds: float) -> None:
        with self._lock:
            try:
                i = self._keys.index(key)
            except ValueError:
                return
            self._resting_until[i] = time.monotonic() + max(0.0, seconds)

    def all_resting(self) -> bool:
        now = time.monotonic()
        return all(self._resting_until.get(i, 0.0) > now for i in range(len(self._keys)))

