"""Unified diffs as files and hunks, so that parts of a model's patch can be left out.

Why a parser of our own rather than ``unidiff``: a patch with some hunks removed must
apply exactly as the rest of it would have, so everything is kept as the original text
(headers, junk between hunks, ``\\ No newline at end of file``) and rendering an
untouched patch gives back the same string. Only the structure needed to choose what to
keep is parsed: where each file's section starts, its paths, and the hunks with their
line counts (a non-git diff has no ``diff --git`` line, and a hunk body may contain
lines starting with ``--- ``, so the counts decide where a hunk ends).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT_HEADER = re.compile(r'^diff --git (?:"?a/(.*?)"?) (?:"?b/(.*?)"?)\s*$')


@dataclass(frozen=True)
class Hunk:
    """One ``@@`` hunk: its header line, body lines and any text after it (kept)."""

    lines: tuple[str, ...]
    old_start: int
    old_len: int

    @property
    def text(self) -> str:
        return "".join(self.lines)

    @property
    def body(self) -> tuple[str, ...]:
        return self.lines[1:]

    @property
    def changed(self) -> tuple[str, ...]:
        """The added and removed lines, without their ``+``/``-`` mark."""
        return tuple(line[1:] for line in self.body if line[:1] in "+-" and line[:1])


@dataclass(frozen=True)
class FileDiff:
    """One file's section: header lines (``diff --git``, ``---``, ``+++``...) and hunks."""

    header: tuple[str, ...]
    hunks: tuple[Hunk, ...]
    old_path: str | None
    new_path: str | None

    @property
    def text(self) -> str:
        return "".join(self.header) + "".join(h.text for h in self.hunks)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path this section reads or writes (both names of a rename)."""
        return tuple(dict.fromkeys(p for p in (self.old_path, self.new_path) if p))

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"

    @property
    def is_new(self) -> bool:
        return self.old_path is None and self.new_path is not None

    def with_hunks(self, hunks: tuple[Hunk, ...]) -> FileDiff:
        return FileDiff(self.header, hunks, self.old_path, self.new_path)


@dataclass(frozen=True)
class Patch:
    """A parsed patch: text before the first file (a commit message...) and the files."""

    preamble: str
    files: tuple[FileDiff, ...]

    @property
    def text(self) -> str:
        return self.preamble + "".join(f.text for f in self.files)


def _unquote(value: str) -> str:
    """A path as git writes it, C-quoted (``"b/\\143onftest.py"``) or not, as git apply
    reads it. Every place a path appears is read this way: a name the screen read
    differently from git (an escaped ``conftest.py`` in a binary diff's header or a
    ``rename to`` line) would let test infrastructure through."""
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return value[1:-1].encode("utf-8").decode("unicode_escape").encode(
            "latin-1").decode("utf-8", errors="replace")
    return value


def _strip_path(raw: str) -> str | None:
    """``a/x/y.py`` (or ``b/``), possibly quoted or followed by a timestamp -> ``x/y.py``."""
    value = _unquote(raw.split("\t", 1)[0].strip())
    if value == "/dev/null":
        return None
    if value.startswith(("a/", "b/")):
        value = value[2:]
    return str(PurePosixPath(value)) if value else None


_QUOTED_HEADER = re.compile(r'^diff --git ("(?:[^"\\]|\\.)*"|\S+) ("(?:[^"\\]|\\.)*"|\S+)\s*$')


def _git_header_paths(line: str, match: re.Match[str]) -> tuple[str | None, str | None]:
    """Both paths of a ``diff --git`` line, unquoted as git does (quoted paths may carry
    octal escapes); unquoted names with spaces fall back to the plain pattern."""
    quoted = _QUOTED_HEADER.match(line)
    if quoted and '"' in line:
        return _strip_path(quoted.group(1)), _strip_path(quoted.group(2))
    return match.group(1), match.group(2)


def _is_file_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    if line.startswith("diff --git "):
        return True
    return (line.startswith("--- ") and i + 1 < len(lines)
            and lines[i + 1].startswith("+++ "))


def _read_hunk(lines: list[str], i: int) -> tuple[Hunk, int]:
    """The hunk starting at ``lines[i]`` (an ``@@`` line) and the index after it."""
    match = _HUNK.match(lines[i])
    assert match is not None
    old_start = int(match.group(1))
    old_left = int(match.group(2)) if match.group(2) is not None else 1
    new_left = int(match.group(4)) if match.group(4) is not None else 1
    old_len = old_left
    body = [lines[i]]
    i += 1
    while i < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[i]
        mark = line[:1]
        if mark == "\\":
            body.append(line)
        elif mark == " " or line in ("\n", "\r\n"):  # blank context stripped by an editor
            old_left -= 1
            new_left -= 1
            body.append(line)
        elif mark == "-":
            old_left -= 1
            body.append(line)
        elif mark == "+":
            new_left -= 1
            body.append(line)
        else:  # counts were wrong: the hunk ends here, what follows is kept as it is
            break
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        body.append(lines[i])
        i += 1
    # text that is neither a hunk nor a new file stays attached to this hunk
    while (i < len(lines) and not _HUNK.match(lines[i]) and not _is_file_start(lines, i)):
        body.append(lines[i])
        i += 1
    return Hunk(tuple(body), old_start, old_len), i


def _read_file(lines: list[str], i: int) -> tuple[FileDiff, int]:
    header = [lines[i]]
    git = _GIT_HEADER.match(lines[i].rstrip("\n"))
    old_path = new_path = None
    if git:
        old_path, new_path = _git_header_paths(lines[i].rstrip("\n"), git)
    i += 1
    while i < len(lines) and not _HUNK.match(lines[i]):
        line = lines[i]
        if line.startswith("diff --git ") or (not git and _is_file_start(lines, i)):
            break
        header.append(line)
        if line.startswith("--- "):
            old_path = _strip_path(line[4:])
        elif line.startswith("+++ "):
            new_path = _strip_path(line[4:])
        elif line.startswith("new file mode"):
            old_path = None
        elif line.startswith("deleted file mode"):
            new_path = None
        elif line.startswith(("rename from ", "copy from ")):
            old_path = _unquote(line.split(" ", 2)[2].strip())
        elif line.startswith(("rename to ", "copy to ")):
            new_path = _unquote(line.split(" ", 2)[2].strip())
        i += 1
    if not git:  # "--- a/x" then "+++ b/x": the first header line was the --- line
        old_path = _strip_path(header[0][4:])
    hunks = []
    while i < len(lines) and _HUNK.match(lines[i]):
        hunk, i = _read_hunk(lines, i)
        hunks.append(hunk)
    return FileDiff(tuple(header), tuple(hunks), old_path, new_path), i


def parse_patch(text: str) -> Patch:
    """Split a unified diff (git or plain) into files and hunks; ``parse(t).text == t``."""
    lines = text.splitlines(keepends=True)
    i = 0
    preamble = []
    while i < len(lines) and not _is_file_start(lines, i):
        preamble.append(lines[i])
        i += 1
    files = []
    while i < len(lines):
        diff, i = _read_file(lines, i)
        files.append(diff)
    return Patch("".join(preamble), tuple(files))
