"""OpenAI chat completions: the shapes the routing endpoint answers in, and the
pass-through of OpenAI-compatible providers.

A pass-through stream is not re-encoded: each event's bytes go on as they came, except
that its `model` names the routerx id of the model that answered (a regex edit of one
field, not a JSON round trip per chunk) and the usage is read from the event that
carries it. When routerx asked for `stream_options.include_usage` on the agent's behalf
(to record tokens and cost), the usage-only chunk it adds is kept from the agent.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from router.wire.sse import DONE, Event, data_event

_MODEL_FIELD = re.compile(rb'"model"\s*:\s*"(?:[^"\\]|\\.)*"')
_USAGE_OBJECT = re.compile(rb'"usage"\s*:\s*\{')
# The opening chunk: role only, empty content, no tool calls, no finish.
_PREAMBLE = re.compile(rb'^(?!.*"tool_calls").*"delta"\s*:\s*\{\s*"role"\s*:\s*"assistant"\s*'
                       rb'(,\s*"content"\s*:\s*(""|null)\s*)?(,\s*"refusal"\s*:\s*null\s*)?\}'
                       rb'.*"finish_reason"\s*:\s*null', re.S)
_FINISH = re.compile(rb'"finish_reason"\s*:\s*"([a-z_]+)"')


@dataclass(slots=True)
class Usage:
    """Tokens as the provider stated them (None: not stated, never a guess)."""

    prompt: int | None = None
    completion: int | None = None

    def to_openai(self) -> dict[str, int]:
        prompt, completion = self.prompt or 0, self.completion or 0
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "total_tokens": prompt + completion}

    @classmethod
    def from_openai(cls, usage: Any) -> Usage:
        if not isinstance(usage, dict):
            return cls()
        return cls(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def completion(model: str, message: dict[str, Any], finish_reason: str | None,
               usage: Usage, id_: str | None = None) -> dict[str, Any]:
    """A whole `chat.completion` object."""
    return {
        "id": id_ or completion_id(), "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason,
                     "logprobs": None}],
        "usage": usage.to_openai(),
    }


class ChunkWriter:
    """Writes `chat.completion.chunk` events for one streamed answer."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.id = completion_id()
        self.model = model
        self.created = int(time.time())
        self.include_usage = include_usage
        self.written = 0

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        self.written += 1
        chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}
        return data_event(json.dumps(chunk, separators=(",", ":")).encode())

    def end(self, usage: Usage) -> list[bytes]:
        """The usage chunk (when the agent asked for it) and `[DONE]`."""
        out: list[bytes] = []
        if self.include_usage:
            chunk = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                     "model": self.model, "choices": [], "usage": usage.to_openai()}
            out.append(data_event(json.dumps(chunk, separators=(",", ":")).encode()))
        out.append(DONE)
        return out


class TranslatedStream:
    """A stream in another wire format, written to the agent as OpenAI chunks.

    Subclasses feed on decoded events (`decode`) and set `usage`, `finish_reason`,
    `done` (the provider said the answer is complete) and `error` (it said it failed).
    """

    def __init__(self, model: str, include_usage: bool) -> None:
        self.writer = ChunkWriter(model, include_usage)
        self.usage = Usage()
        self.done = False
        self.finish_reason: str | None = None
        self.error: str | None = None

    @property
    def content_started(self) -> bool:
        """Something beyond the opening role chunk was written: the first token."""
        return self.writer.written > 1

    def decode(self, event: Event) -> dict[str, Any] | None:
        """The event's JSON object; None for keep-alives (and, with `error` set, junk)."""
        if event.comment or not event.data:
            return None
        try:
            data = json.loads(event.data)
        except ValueError:
            self.error = "the provider sent a stream event that is not JSON"
            return None
        if isinstance(data, list) and data:  # Gemini may wrap an error in a list
            data = data[0]
        return data if isinstance(data, dict) else None

    def close(self) -> list[bytes]:
        return []


def error_message(body: Any) -> str | None:
    """The message of the `{"error": {"message": ...}}` envelope all three formats use."""
    if isinstance(body, list) and body:  # some Gemini errors arrive as a one-item list
        body = body[0]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or body["error"])
    return None


def error_body(message: str, kind: str = "routerx_error", code: str | None = None
               ) -> dict[str, Any]:
    """OpenAI's error envelope, which the SDKs turn into their error types."""
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def error_event(message: str, kind: str = "upstream_error") -> bytes:
    """An error after the stream began: the agent sees it in the stream, as OpenAI sends it."""
    return data_event(json.dumps(error_body(message, kind)).encode())


class PassThroughStream:
    """An OpenAI-compatible provider's stream, handed on event by event."""

    def __init__(self, model: str, hide_usage_chunk: bool) -> None:
        self._model_field = b'"model":' + json.dumps(model).encode()
        self.hide_usage_chunk = hide_usage_chunk
        self.usage = Usage()
        self.done = False
        self.finish_reason: str | None = None
        self.error: str | None = None  # an error the provider reported inside the stream
        self.content_started = False  # an event beyond the opening role chunk was seen
        self._upstream_field: bytes | None = None  # the provider's `"model":"..."` text

    def feed(self, event: Event) -> list[bytes]:
        if event.comment:
            return []
        data = event.data
        if data == b"[DONE]":
            self.done = True
            return [DONE]
        if b'"usage"' in data and _USAGE_OBJECT.search(data):
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                self.usage = Usage.from_openai(parsed.get("usage"))
                if self.hide_usage_chunk and not parsed.get("choices"):
                    return []
        if not self.content_started and not _PREAMBLE.search(data):
            self.content_started = True
        if b'"finish_reason"' in data:
            if b'"finish_reason":null' not in data and b'"finish_reason": null' not in data:
                # (a null never matches: the regex is skipped on every chunk but the last)
                match = _FINISH.search(data)
                if match:
                    self.finish_reason = match.group(1).decode()
        elif data.lstrip().startswith(b'{"error"'):
            self.error = _error_message(data)  # the relay writes it, redacted
            return []
        return [data_event(self._renamed(data))]

    def _renamed(self, data: bytes) -> bytes:
        """`data` with its first `model` field naming the routerx id. A provider names
        its model the same way in every chunk: after the first, a plain search for that
        text (when it is the first `"model"` of the chunk) does what the regex does."""
        seen = self._upstream_field
        if seen is not None:
            at = data.find(seen)
            if at >= 0 and at == data.find(b'"model"'):
                return data[:at] + self._model_field + data[at + len(seen):]
        match = _MODEL_FIELD.search(data)
        if match is None:
            return data
        self._upstream_field = match.group(0)
        return data[:match.start()] + self._model_field + data[match.end():]

    def close(self) -> list[bytes]:
        return []  # the provider writes the end ([DONE]) itself


def _error_message(data: bytes) -> str:
    try:
        error = json.loads(data).get("error")
    except (ValueError, AttributeError):
        return data[:200].decode("utf-8", "replace")
    if isinstance(error, dict):
        return str(error.get("message") or error)[:500]
    return str(error)[:500]
