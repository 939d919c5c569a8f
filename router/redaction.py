"""Removing API keys from text that routerx keeps: provider replies, error messages, logs.

Why fragments and not only whole keys: text is often cut to a length before it is kept,
and a cut can split a key; a provider may also echo only a part of the key it rejected
("Incorrect API key provided: sk-proj-AbCd****wxyz"). So every run of `MIN_FRAGMENT` (8)
or more characters that also occurs in a configured key is removed, wherever it sits in
the key. Redact first, truncate after: truncating first is how the head of a split key
used to survive.

Keys shorter than `MIN_FRAGMENT` are removed where they occur whole (from 4 characters;
shorter values are placeholders such as "x", not secrets).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

MIN_FRAGMENT = 8
MIN_KEY = 4
MARK = "***"


class Redactor:
    """Redacts the fragments of a fixed set of keys; built once per key set (cached)."""

    __slots__ = ("_grams", "_short")

    def __init__(self, secrets: Iterable[str]) -> None:
        keys = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_KEY}
        n = MIN_FRAGMENT
        self._grams = frozenset(
            k[i:i + n] for k in keys if len(k) >= n for i in range(len(k) - n + 1)
        )
        self._short = tuple(sorted((k for k in keys if len(k) < n), key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._grams or self._short)

    def __repr__(self) -> str:  # never the keys, nor their fragments
        return f"Redactor({len(self._grams)} fragment(s), {len(self._short)} short key(s))"

    def _spans(self, text: str) -> list[tuple[int, int]]:
        n, grams = MIN_FRAGMENT, self._grams
        spans: list[tuple[int, int]] = []
        if grams:
            # Every 8-character window of a key fragment is an 8-gram of the key, so the
            # union of matching windows covers each fragment whole.
            for i in range(len(text) - n + 1):
                if text[i:i + n] in grams:
                    spans.append((i, i + n))
        for key in self._short:
            start = text.find(key)
            while start >= 0:
                spans.append((start, start + len(key)))
                start = text.find(key, start + 1)
        return spans

    def text(self, text: str) -> str:
        """`text` with every key fragment replaced by ***."""
        if not self or len(text) < MIN_KEY:
            return text
        spans = self._spans(text)
        if not spans:
            return text
        spans.sort()
        out: list[str] = []
        kept = 0
        start, end = spans[0]
        for s, e in spans[1:]:
            if s <= end:
                end = max(end, e)
                continue
            out += (text[kept:start], MARK)
            kept, (start, end) = end, (s, e)
        out += (text[kept:start], MARK, text[end:])
        return "".join(out)

    def json(self, value: Any) -> Any:
        """A decoded JSON value with every string in it (keys of objects too) redacted.

        Iterative, so a deeply nested reply cannot exhaust the stack.
        """
        if not self:
            return value
        if isinstance(value, str):
            return self.text(value)
        if not isinstance(value, dict | list):
            return value
        stack: list[Any] = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                for i, item in enumerate(node):
                    if isinstance(item, str):
                        node[i] = self.text(item)
                    elif isinstance(item, dict | list):
                        stack.append(item)
                continue
            for old in [k for k in node if isinstance(k, str)]:
                new = self.text(old)
                if new != old:
                    node[new] = node.pop(old)
            for k, item in node.items():
                if isinstance(item, str):
                    node[k] = self.text(item)
                elif isinstance(item, dict | list):
                    stack.append(item)
        return value


@lru_cache(maxsize=64)
def redactor(secrets: tuple[str, ...]) -> Redactor:
    """The Redactor of a key set, built once: building one costs more than using it."""
    return Redactor(secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` without any fragment of 8+ characters of any of `secrets`."""
    return redactor(tuple(secrets)).text(text)


def truncate(text: str, limit: int, by: Redactor) -> str:
    """Redact, then cut to `limit` characters (with an ellipsis): never the other way round."""
    text = by.text(text)
    return text[:limit] + ("…" if len(text) > limit else "")
