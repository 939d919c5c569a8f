"""The one normalised shape every provider's model list is turned into."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from router.store.models import ModelKind


@dataclass(frozen=True)
class ModelRecord:
    """A model as one provider lists it.

    Limits and prices are None unless the provider states them: an invented default
    context window would later be exported into a user's OpenCode config as a fact.
    """

    provider: str
    name: str
    display_name: str | None = None
    kind: str = ModelKind.CHAT
    context_window: int | None = None
    max_output_tokens: int | None = None
    created_at: datetime | None = None
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None
    raw_keys: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def id(self) -> str:
        # The OpenCode convention: split on the FIRST slash only; colons are part of
        # the model name (`ollama/llama3.1:8b`).
        return f"{self.provider}/{self.name}"

    @property
    def can_chat(self) -> bool:
        return self.kind == ModelKind.CHAT


# Ordered: the first pattern that matches an id decides its kind. Only used where the
# provider's own listing does not say what a model does (OpenAI-compatible /models).
_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (ModelKind.EMBEDDING, re.compile(r"embed|bge-|e5-|gte-|nomic-bert", re.I)),
    (ModelKind.MODERATION, re.compile(r"moderation|guard", re.I)),
    (ModelKind.SPEECH, re.compile(r"whisper|tts|transcribe|realtime|speech|-audio", re.I)),
    (ModelKind.IMAGE, re.compile(r"dall-e|gpt-image|stable-diffusion|flux|imagen|sora", re.I)),
    (ModelKind.COMPLETION, re.compile(r"^(davinci|babbage|curie|ada)(-\d+)?$|-instruct-\d{4}$|"
                                      r"^gpt-3\.5-turbo-instruct", re.I)),
)


def kind_from_id(model_name: str) -> str:
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(model_name):
            return kind
    return ModelKind.CHAT


def epoch_or_none(value: object) -> datetime | None:
    """Unix seconds to UTC; 0 or junk means the provider did not state it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return datetime.fromtimestamp(value, UTC)


def iso_or_none(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def positive_int(*values: object) -> int | None:
    """The first value that is a positive integer (or a numeric string of one)."""
    for value in values:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def per_token_to_per_mtok(value: object) -> float | None:
    """OpenRouter states USD per token as a string; '-1' means variable (unknown)."""
    try:
        price = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if price < 0:
        return None
    return round(price * 1_000_000, 6)
