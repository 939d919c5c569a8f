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
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.limit - len(self.kept)
        if room > 0:
            self.kept += data[:room]
        self.dropped += max(0, len(data) - max(room, 0))

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
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n... [{self.dropped} more bytes of output cut]"
        return text
