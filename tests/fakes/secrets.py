"""Recognisable keys, replies that leak them, and the check that nothing kept holds one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from router.redaction import MIN_FRAGMENT

# A rotated list of two keys: every key of the list must be redacted, not only the first.
KEY_A = "sk-LEAKY-a1b2c3d4e5f6g7h8i9j0"
KEY_B = "sk-OTHER-z9y8x7w6v5u4t3s2r1q0"
KEYS = f"{KEY_A},{KEY_B}"
CUT = 200  # where error bodies are cut for a message (router.providers.http)


def fragments(text: str, *keys: str) -> list[str]:
    """Every MIN_FRAGMENT-character piece of any key found in text (empty: nothing leaked)."""
    keys = keys or (KEY_A, KEY_B)
    return sorted({k[i:i + MIN_FRAGMENT] for k in keys
                   for i in range(len(k) - MIN_FRAGMENT + 1) if k[i:i + MIN_FRAGMENT] in text})


def across_the_cut(body: Callable[[str], Any], key: str, before: int) -> Any:
    """`body(message)` whose JSON text holds `key` starting `before` characters ahead of
    the cut, so a message cut first and redacted after would keep `before` characters."""
    pad = CUT - before
    for _ in range(3):  # the envelope's length does not depend on the padding's
        text = json.dumps(body("P" * pad + key))
        pad += CUT - before - text.index(key)
    made = body("P" * pad + key)
    assert json.dumps(made).index(key) == CUT - before
    return made


def stored_text(db: Path) -> str:
    """Everything a SQLite store holds: a dump of its rows and its raw file bytes (WAL too)."""
    parts = []
    with sqlite3.connect(db) as conn:
        parts.extend(conn.iterdump())
    for path in (db, db.with_name(db.name + "-wal")):
        if path.exists():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)
