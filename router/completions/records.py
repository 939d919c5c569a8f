"""What a completion request and its answer look like, whatever the wire format."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from router.errors import InputError

ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Completion:
    """One model answer with what it cost to get.

    Tokens are as the provider reports them (None when it reports nothing; never an
    estimate): `tokens_in` counts the whole prompt, cached tokens included, and
    `tokens_out` counts every generated token the provider bills, reasoning included, so
    the three wire formats mean the same thing. `latency_ms` is measured here: the wall
    time of the request that succeeded, from sending it to reading its body; waiting for
    a concurrency slot and backing off before earlier attempts are not part of it.
    """

    model_id: str
    text: str
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: float
    finish_reason: str | None
    attempts: int
    temperature: float | None   # as applied; None: the model refused one, its default ran


@dataclass(frozen=True)
class CompletionRequest:
    model: str                   # the provider's own name for the model
    messages: tuple[dict[str, str], ...]
    temperature: float
    max_tokens: int
    seed: int | None = None


@dataclass(frozen=True)
class WireRequest:
    """How to send a request in one wire format: URL, JSON body, auth headers per key."""

    url: str
    body: dict[str, Any]
    headers: Callable[[str | None], dict[str, str]]

    def without_temperature(self) -> WireRequest | None:
        """The same request leaving the temperature to the model; None if none was set."""
        if "temperature" not in self.body:
            return None
        body = {k: v for k, v in self.body.items() if k != "temperature"}
        return WireRequest(self.url, body, self.headers)


@dataclass(frozen=True)
class WireReply:
    text: str
    tokens_in: int | None
    tokens_out: int | None
    finish_reason: str | None


def check_messages(messages: Sequence[dict[str, Any]]) -> tuple[dict[str, str], ...]:
    """Chat messages as every wire format here can carry them: role and text content."""
    if not messages:
        raise InputError("messages is empty: give at least one {'role': 'user', 'content': ...}")
    checked = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise InputError(f"messages[{i}] must be a dict with role and content")
        role, content = m.get("role"), m.get("content")
        if role not in ROLES:
            raise InputError(f"messages[{i}].role is {role!r}; use one of {', '.join(ROLES)}")
        if not isinstance(content, str):
            kind = type(content).__name__
            raise InputError(f"messages[{i}].content must be a string, not {kind}")
        checked.append({"role": role, "content": content})
    if all(m["role"] == "system" for m in checked):
        raise InputError("messages holds only system messages; add a user message")
    return tuple(checked)


def count(value: Any) -> int | None:
    """A token count the provider stated, or None: never a made-up zero."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def total(*values: Any) -> int | None:
    """The sum of the counts the provider stated; None when it stated none of them."""
    counts = [c for c in map(count, values) if c is not None]
    return sum(counts) if counts else None
