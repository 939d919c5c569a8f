"""Keeping what a sandboxed process produces (output, error messages) bounded.

A flood is drained (so the writer never blocks and can finish) but only the first
``limit`` bytes are kept; the rest is counted and reported as cut.
"""

from __future__ import annotations

import os

#: the longest ``detail`` kept (an exception message can be megabytes of repr)
DETAIL_LIMIT = 2000


def cap_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with a marker saying how much was dropped."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more characters cut]"


class CappedBuffer:
    """The first ``limit - tail`` bytes and the last ``tail`` bytes of a stream; the
    middle is counted, not kept (a test log's summary is at its end)."""

    def __init__(self, limit: int, tail: int = 0) -> None:
        self.head_limit = max(0, limit - tail)
        self.tail_limit = tail
        self.kept = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.head_limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]
            data = data[room:]
        if not data:
            return
        if self.tail_limit:
            self.tail += data
            excess = len(self.tail) - self.tail_limit
            if excess > 0:
                self.dropped += excess
                del self.tail[:excess]
        else:
            self.dropped += len(data)

    def read_from(self, fd: int, size: int = 1 << 16) -> bool:
        """Read once from a non-blocking ``fd``; False at end of file."""
        try:
            data = os.read(fd, size)
        except BlockingIOError:
            return True
        if not data:
            return False
        self.add(data)
        return True

    def text(self) -> str:
        head = self.kept.decode("utf-8", errors="replace")
        if not self.dropped:
            return head + self.tail.decode("utf-8", errors="replace")
        marker = f"\n... [{self.dropped} more bytes of output cut]"
        if not self.tail:
            return head + marker
        return head + marker + "\n" + self.tail.decode("utf-8", errors="replace")
