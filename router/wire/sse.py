"""Server-sent events: cut a byte stream into events, and write one.

Why a parser of our own: the three providers stream SSE, and the routing endpoint must
hand every event on the moment it is complete (no buffering beyond one event), which
rules out reading a response whole. Lines end in LF or CRLF; an event ends at a blank
line; `data:` lines of one event are joined with LF (the SSE specification).
"""

from __future__ import annotations

from typing import NamedTuple

MAX_EVENT_BYTES = 16 * 1024 * 1024  # one event this large is a broken stream, not an answer


class SSEError(ValueError):
    """The stream is not SSE as a provider sends it."""


class Event(NamedTuple):
    """One event. A tuple rather than a frozen dataclass: one is made per streamed
    chunk, and a frozen dataclass's `__init__` costs several times a tuple's."""

    event: str | None   # the `event:` field (Anthropic names every event); None if absent
    data: bytes         # the `data:` lines joined with LF
    comment: bool = False  # a `:` comment line only (a keep-alive)


class SSEParser:
    """Feed bytes as they arrive; get back the events they complete."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[Event]:
        if not self._buffer and chunk.startswith(b"data: ") and \
                chunk.find(b"\n") == len(chunk) - 2 and chunk.endswith(b"\n\n"):
            return [Event(None, chunk[6:-2])]  # a read that is exactly one one-line event
        buffer = self._buffer + chunk
        if b"\r" in buffer:
            # A CRLF split across chunks leaves its CR at the end, joined on the next feed.
            buffer = buffer.replace(b"\r\n", b"\n")
        events: list[Event] = []
        start = 0
        while True:
            end = buffer.find(b"\n\n", start)
            if end < 0:
                break
            event = _parse(buffer[start:end])
            if event is not None:
                events.append(event)
            start = end + 2
        self._buffer = buffer[start:]
        if len(self._buffer) > MAX_EVENT_BYTES:
            raise SSEError(f"an event over {MAX_EVENT_BYTES} bytes without an end")
        return events

    def close(self) -> list[Event]:
        """Events left when the stream ends (a last event without its blank line)."""
        rest, self._buffer = self._buffer.replace(b"\r", b"").strip(b"\n"), b""
        event = _parse(rest) if rest else None
        return [event] if event is not None else []


def _parse(block: bytes) -> Event | None:
    if block.startswith(b"data: ") and b"\n" not in block:  # one data line: most events
        return Event(None, block[6:])
    name: str | None = None
    data: list[bytes] = []
    comment = False
    for line in block.split(b"\n"):
        if not line:
            continue
        if line.startswith(b":"):
            comment = True
            continue
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"data":
            data.append(value)
        elif field == b"event":
            name = value.decode("utf-8", "replace")
    if data or name is not None:
        return Event(name, b"\n".join(data))
    return Event(None, b"", comment=True) if comment else None


def data_event(payload: bytes) -> bytes:
    """One `data:` event as written to the agent."""
    return b"data: " + payload + b"\n\n"


DONE = data_event(b"[DONE]")
