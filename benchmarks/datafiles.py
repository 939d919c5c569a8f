"""Reading a suite's local data file: a JSON array or JSON lines, optionally gzipped.

Suites ship their tasks in both shapes (MBPP's ``mbpp.jsonl`` and
``sanitized-mbpp.json``, SWE-bench's ``.json.gz`` and ``.jsonl``); one reader keeps the
error messages the same everywhere: each names the file and the line or item.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from router.errors import ConfigError


def read_json_records(path: Path, what: str) -> list[tuple[str, dict[str, Any]]]:
    """``(location, object)`` for every record; ``what`` names the data in errors.

    Raises ConfigError for a missing or unreadable file, invalid JSON (with the line),
    a record that is not an object, or a file without records.
    """
    if not path.is_file():
        raise ConfigError(f"{what} data file not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise ConfigError(f"cannot read {what} data {path}: {exc}") from exc
    out: list[tuple[str, Any]] = []
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        out = [(f"{path} item {i}", r) for i, r in enumerate(items)]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append((f"{path} line {number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path} line {number}: invalid JSON: {exc.msg}") from exc
    for where, record in out:
        if not isinstance(record, dict):
            raise ConfigError(f"{where}: expected a JSON object, got {type(record).__name__}")
    if not out:
        raise ConfigError(f"{path}: no {what} records")
    return out
