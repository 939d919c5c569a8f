"""Length-prefixed JSON messages: between the host and its workers, and on a
sample's call channel between its judge and its candidate.

Why JSON and not pickle: nothing that crosses from the sandbox side may be able to
run code when decoded.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct("!I")
#: a message larger than this is a protocol violation, not something to buffer
MAX_MESSAGE = 64 * 1024 * 1024


def encode(message: Any) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    return HEADER.pack(len(body)) + body


def write_message(fd: int, message: Any) -> None:
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_message(fd: int, limit: int = MAX_MESSAGE) -> Any | None:
    """The next message from a blocking fd; None at end of file. ValueError for a
    message over ``limit`` bytes (not read) or one that is not JSON."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > limit:
        raise ValueError(f"message of {size} bytes exceeds {limit}")
    body = _read_exact(fd, size)
    if body is None:
        return None
    return json.loads(body)


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class FrameReader:
    """Splits a non-blocking byte stream into messages as bytes arrive."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Any]:
        self._buffer += data
        messages = []
        while len(self._buffer) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._buffer)
            if size > MAX_MESSAGE:
                raise ValueError(f"message of {size} bytes exceeds {MAX_MESSAGE}")
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            messages.append(json.loads(bytes(self._buffer[HEADER.size:end])))
            del self._buffer[:end]
        return messages
