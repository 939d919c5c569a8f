"""Taking the code (or the diff) out of a chat model's answer.

Why this matters: a chat model wraps its code in prose and Markdown fences, sometimes
several blocks (the solution, then "example usage"), sometimes only the function body,
sometimes a truncated fence. A model must not lose points because of how it formats
an answer, nor gain them because extraction guessed generously; so the rules are few,
deterministic and versioned. Change any rule here and bump ``EXTRACTION_VERSION``: it
is part of every benchmark's ``protocol_version``.

Rules (code):
1. Fenced blocks (```python, ```py, ``` ...; an unterminated last fence runs to the end
   of the answer). Among the Python-looking blocks, the last one that defines the entry
   point at top level wins (models revise: "here is a corrected version"); if none
   defines it, the first block that is valid Python (as a module or as a function body).
2. No fence: the answer itself if it is valid Python; otherwise the longest valid
   stretch starting at the first line that opens code (``def``/``class``/``import``/
   ``from``/``@``, or an indented line for a bare body), which drops prose before and
   after.
3. Whole-program code is then trimmed of top-level statements that are not part of a
   solution: ``if __name__ == "__main__":`` blocks, ``print(...)`` and calls of the
   answer's own functions (``f(3)``), and ``assert`` lines. A model's own failing
   example must not fail its solution, and an ``input()`` in a demo must not hang it.
   A bare function body is left alone.

Rules (diff, for SWE-bench): fenced ```diff/```patch blocks (or any fenced block that
looks like a unified diff), else the text from the first ``diff --git`` / ``--- ``
header to the end of the last hunk; several blocks are joined in order.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Callable

EXTRACTION_VERSION = "1"

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.MULTILINE)
_PY_LANGS = {"", "python", "py", "python3", "py3", "pycon", "ipython"}
_CODE_START = re.compile(r"^(?:async\s+def\s|def\s|class\s|import\s|from\s+\S+\s+import\s|@)")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, content) of every fenced block, in order.

    A fence closes at the next fence line of the same character and at least the same
    length; an unterminated final fence (a truncated answer) runs to the end.
    """
    blocks: list[tuple[str, str]] = []
    pos = 0
    while True:
        opening = _FENCE.search(text, pos)
        if opening is None:
            return blocks
        marker, lang = opening.group(1), opening.group(2).lower()
        body_start = opening.end() + 1
        closing_re = re.compile(
            rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE
        )
        closing = closing_re.search(text, body_start)
        if closing is None:
            blocks.append((lang, text[body_start:]))
            return blocks
        blocks.append((lang, text[body_start : closing.start()]))
        pos = closing.end()


def defines(code: str, name: str) -> bool:
    """Whether ``code`` defines function ``name`` at top level (column 0)."""
    return re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def parses_as_body(code: str) -> bool:
    """Whether ``code`` is a valid function body (indented or not)."""
    body = textwrap.indent(textwrap.dedent(code), "    ")
    return parses("def _f():\n" + (body if body.strip() else "    pass\n"))


def is_body(code: str) -> bool:
    """A bare function body: its first code line is indented and it is not a module."""
    for line in code.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line[0] in " \t"
    return False


def extract_code(answer: str, entry_point: str | None = None) -> str:
    """The solution code in a chat answer (see the module docstring for the rules)."""
    code = _choose_block(answer, entry_point)
    if code is None:
        code = _strip_prose(answer)
    return code if is_body(code) else strip_non_solution(code)


def _choose_block(answer: str, entry_point: str | None) -> str | None:
    blocks = fenced_blocks(answer)
    if not blocks:
        return None
    candidates = [c for lang, c in blocks if lang in _PY_LANGS and c.strip()]
    if not candidates:
        candidates = [c for _, c in blocks if c.strip()]
    if not candidates:
        return None
    if entry_point:
        defining = [c for c in candidates if defines(c, entry_point)]
        if defining:
            return defining[-1]
    for c in candidates:
        if parses(c) or parses_as_body(c):
            return c
    return candidates[0]


def _strip_prose(answer: str) -> str:
    if parses(answer):
        return answer
    lines = answer.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _CODE_START.match(line)]
    if starts:
        found = _longest_valid(lines, starts[0], parses)
        if found:
            return found
    indented = [i for i, line in enumerate(lines) if line[:1] in (" ", "\t") and line.strip()]
    if indented:
        found = _longest_valid(lines, indented[0], parses_as_body)
        if found:
            return found
    return answer.strip("\n") + "\n"


def _longest_valid(lines: list[str], start: int, valid: Callable[[str], bool]) -> str | None:
    for end in range(len(lines), start, -1):
        chunk = "".join(lines[start:end])
        if chunk.strip() and valid(chunk):
            return chunk.rstrip() + "\n"
    return None


def strip_non_solution(code: str) -> str:
    """Drop top-level demo code: ``if __name__ == ...`` blocks, bare calls, asserts.

    Works on line ranges of the parse tree, so the kept code is byte-for-byte what the
    model wrote. Code that does not parse is returned as is (the sandbox will say why).
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return code
    own = {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    drop: list[tuple[int, int]] = []
    for node in tree.body:
        if _is_demo(node, own):
            drop.append((node.lineno, node.end_lineno or node.lineno))
    if not drop:
        return code
    lines = code.splitlines(keepends=True)
    keep = [
        line
        for number, line in enumerate(lines, start=1)
        if not any(a <= number <= b for a, b in drop)
    ]
    return "".join(keep)


def _is_demo(node: ast.stmt, own: set[str]) -> bool:
    """Demo code: asserts, ``print(...)``, calls of the answer's own functions, and
    ``if __name__ == ...``. Other top-level calls (``sys.setrecursionlimit(...)``) may
    be part of the solution and stay."""
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        return isinstance(func, ast.Name) and (func.id == "print" or func.id in own)
    if isinstance(node, ast.If):
        test = node.test
        return (
            isinstance(test, ast.Compare)
            and isinstance(test.left, ast.Name)
            and test.left.id == "__name__"
        )
    return False


_DIFF_START = re.compile(r"^(?:diff --git |--- (?:a/|/dev/null|\S))", re.MULTILINE)
_DIFF_LANGS = {"diff", "patch", "udiff"}


def looks_like_diff(text: str) -> bool:
    return bool(re.search(r"^--- .*\n\+\+\+ .*\n@@ ", text, re.MULTILINE)) or bool(
        re.search(r"^diff --git ", text, re.MULTILINE)
    )


def extract_diff(answer: str) -> str:
    """The unified diff in a chat answer ('' when there is none).

    The result ends with a newline: ``git apply`` rejects a last hunk line without one.
    """
    blocks = fenced_blocks(answer)
    chosen = [c for lang, c in blocks if (lang in _DIFF_LANGS and c.strip()) or looks_like_diff(c)]
    if chosen:
        text = "\n".join(_trim_to_diff(c) for c in chosen)
    else:
        text = _trim_to_diff(answer)
    text = text.strip("\n")
    return text + "\n" if text else ""


def _trim_to_diff(text: str) -> str:
    """From the first diff header to the last line that belongs to a hunk."""
    start = _DIFF_START.search(text)
    if start is None:
        return ""
    lines = text[start.start() :].splitlines()
    last = 0
    for i, line in enumerate(lines):
        if line[:1] in (" ", "+", "-", "@", "\\") or line.startswith(
            ("diff --git", "index ", "new file mode", "deleted file mode", "similarity",
             "rename from", "rename to", "old mode", "new mode")
        ) or line == "":
            if line != "":
                last = i
        else:
            break
    return "\n".join(lines[: last + 1])
