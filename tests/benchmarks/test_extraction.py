"""Extraction of code and diffs from chat answers."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from benchmarks.extraction import (
    extract_code,
    extract_diff,
    fenced_blocks,
    is_body,
    sanitize,
)

FUNC = "def add(a, b):\n    return a + b\n"


def test_python_fence_with_prose_around() -> None:
    answer = f"Sure! Here is the function:\n\n```python\n{FUNC}```\n\nIt adds two numbers."
    assert extract_code(answer, "add") == FUNC


def test_bare_fence_and_tilde_fence() -> None:
    assert extract_code(f"```\n{FUNC}```", "add") == FUNC
    assert extract_code(f"~~~py\n{FUNC}~~~", "add") == FUNC


def test_several_blocks_pick_the_one_defining_the_entry_point() -> None:
    answer = (
        "First a helper idea:\n```python\nimport math\n```\n"
        f"The solution:\n```python\n{FUNC}```\n"
        "Usage:\n```python\nprint(add(1, 2))\n```\n"
    )
    assert extract_code(answer, "add") == FUNC


def test_last_defining_block_wins_when_the_model_revises() -> None:
    wrong = "def add(a, b):\n    return a - b\n"
    answer = f"```python\n{wrong}```\nOops, corrected:\n```python\n{FUNC}```"
    assert extract_code(answer, "add") == FUNC


def test_non_python_blocks_are_ignored_when_a_python_block_exists() -> None:
    answer = f"```bash\npip install nothing\n```\n```python\n{FUNC}```"
    assert extract_code(answer, "add") == FUNC


def test_unterminated_fence_runs_to_the_end() -> None:
    answer = f"```python\n{FUNC}"
    assert extract_code(answer, "add") == FUNC
    assert fenced_blocks("```python\nx = 1\n") == [("python", "x = 1\n")]


def test_body_only_in_a_fence_is_kept_as_a_body() -> None:
    body = "    total = a + b\n    return total\n"
    code = extract_code(f"```python\n{body}```", "add")
    assert code == body
    assert is_body(code)


def test_no_fence_prose_before_and_after_is_dropped() -> None:
    answer = f"Here is my implementation.\n{FUNC}\nThis runs in O(1) time."
    assert extract_code(answer, "add") == FUNC


def test_no_fence_body_with_prose() -> None:
    answer = "The body is:\n    return a + b\nThat is all."
    assert extract_code(answer, "add") == "    return a + b\n"


def test_plain_code_answer_is_returned_unchanged() -> None:
    assert extract_code(FUNC, "add") == FUNC


def test_demo_code_is_stripped_but_solution_setup_kept() -> None:
    code = textwrap.dedent(
        """\
        import sys
        sys.setrecursionlimit(10000)

        def add(a, b):
            return a + b

        assert add(1, 1) == 3
        print(add(2, 2))
        add(3, 3)

        if __name__ == "__main__":
            n = int(input())
            print(add(n, n))
        """
    )
    out = extract_code(f"```python\n{code}```", "add")
    assert "sys.setrecursionlimit(10000)" in out
    assert "def add(a, b):\n    return a + b\n" in out
    for gone in ("assert", "print", "input", "add(3, 3)", "__main__"):
        assert gone not in out


def test_sanitize_leaves_unparseable_code_alone() -> None:
    broken = "def add(a, b)\n    return a + b\nprint(1)\n"
    assert sanitize(broken) == broken


def test_entry_point_unknown_takes_first_valid_block() -> None:
    answer = "```python\nthis is not python!\n```\n```python\nx = 1\n```"
    assert extract_code(answer, None) == "x = 1\n"


DIFF = textwrap.dedent(
    """\
    diff --git a/src/app.py b/src/app.py
    --- a/src/app.py
    +++ b/src/app.py
    @@ -1,3 +1,3 @@
     def f():
    -    return 1
    +    return 2
     # end
    """
)


def test_diff_in_a_fence() -> None:
    answer = f"The fix:\n```diff\n{DIFF}```\nThis changes the return value."
    assert extract_diff(answer) == DIFF


def test_diff_without_fence_trailing_prose_dropped() -> None:
    answer = f"I changed one line.\n\n{DIFF}\nLet me know if this helps!\n"
    assert extract_diff(answer) == DIFF


def test_diff_in_unlabelled_fence_and_several_blocks_joined() -> None:
    second = DIFF.replace("src/app.py", "src/other.py")
    answer = f"```\n{DIFF}```\nand\n```patch\n{second}```"
    assert extract_diff(answer) == DIFF + second
    assert extract_diff(f"```\n{DIFF}```") == DIFF


def test_no_diff_is_empty() -> None:
    assert extract_diff("I could not find the bug, sorry.") == ""


# -- a table of realistic answer formats (issue 11 item 6) ------------------------------

F = "```"  # a fence, so that the answers below read as the models wrote them


@dataclass(frozen=True)
class Case:
    name: str
    answer: str
    entry_point: str | None
    expected: str


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


HELPER_FUNC = d(
    """
    def _double(x):
        return 2 * x


    def add(a, b):
        return _double(a) // 2 + b
    """
)

CASES = [
    Case("fenced, prose around", f"Sure! Here it is:\n\n{F}python\n{FUNC}{F}\n\nIt adds.",
         "add", FUNC),
    Case("body only, fenced", f"{F}python\n    total = a + b\n    return total\n{F}", "add",
         "    total = a + b\n    return total\n"),
    Case("body only, raw completion (human-eval style)", "    return a + b\n", "add",
         "    return a + b\n"),
    Case("body only, written flush left", f"{F}python\ntotal = a + b\nreturn total\n{F}",
         "add", "    total = a + b\n    return total\n"),
    Case("body, then a helper and a demo (base-model completion)",
         d("""
             return _double(a) // 2 + b


         def _double(x):
             return 2 * x


         print(add(1, 2))
         """),
         "add",
         "    return _double(a) // 2 + b\n\n\ndef _double(x):\n    return 2 * x\n"),
    Case("unfenced, prose before and after",
         f"Here is my implementation.\n\n{FUNC}\nThis runs in O(1) time.", "add", FUNC),
    Case("unfenced, a constant before the function",
         "The code:\nOFFSET = 0\ndef add(a, b):\n    return a + b + OFFSET\nDone.", "add",
         "OFFSET = 0\ndef add(a, b):\n    return a + b + OFFSET\n"),
    Case("helper before the entry point", f"{F}python\n{HELPER_FUNC}{F}", "add", HELPER_FUNC),
    Case("helper after the entry point",
         f"{F}python\ndef add(a, b):\n    return _double(a) // 2 + b\n\n\n"
         f"def _double(x):\n    return 2 * x\n{F}",
         "add", "def add(a, b):\n    return _double(a) // 2 + b\n\n\n"
                "def _double(x):\n    return 2 * x\n"),
    Case("__main__ demo reading input()",
         f"{F}python\n{FUNC}\n\nif __name__ == \"__main__\":\n    a, b = map(int, input()"
         f".split())\n    print(add(a, b))\n{F}", "add", FUNC),
    Case("think block with a wrong draft, then the answer",
         f"<think>\nMaybe subtract?\n{F}python\ndef add(a, b):\n    return a - b\n{F}\n"
         f"No, add.\n</think>\n\n{F}python\n{FUNC}{F}", "add", FUNC),
    Case("think block opened by the chat template (only the closing tag)",
         f"Let me think... def add(a, b): a - b? no.\n</think>\n{F}python\n{FUNC}{F}", "add",
         FUNC),
    Case("two blocks: solution, then usage",
         f"{F}python\n{FUNC}{F}\n\nUsage:\n\n{F}python\nprint(add(1, 2))  # 3\n{F}", "add",
         FUNC),
    Case("two blocks: helper in the first, entry point in the second",
         f"First a helper:\n{F}python\nimport math\n\ndef _double(x):\n    return 2 * x\n"
         f"\nprint(_double(3))\n{F}\nThen:\n{F}python\ndef add(a, b):\n"
         f"    return _double(a) // 2 + b\n{F}",
         "add", "def _double(x):\n    return 2 * x\n\n\n"
                "def add(a, b):\n    return _double(a) // 2 + b\n"),
    Case("two defining blocks: the revision wins",
         f"{F}python\ndef add(a, b):\n    return a - b\n{F}\nOops, corrected:\n"
         f"{F}python\n{FUNC}{F}", "add", FUNC),
    Case("fence nested in a Markdown list item",
         f"1. Define the function:\n\n   {F}python\n   def add(a, b):\n       return a + b\n"
         f"   {F}\n2. Call it.", "add", FUNC),
    Case("body in a list-item fence stays a body",
         f"- The body:\n  {F}python\n      return a + b\n  {F}", "add", "    return a + b\n"),
    Case("class-based answer: helper class, demo instance dropped",
         f"{F}python\n" + d("""
         class Stack:
             def __init__(self):
                 self.items = []


         def is_balanced(s):
             st = Stack()
             for ch in s:
                 st.items.append(ch)
             return len(st.items) % 2 == 0


         s = Stack()
         s.items.append(1)
         print(is_balanced("()"))
         """) + F,
         "is_balanced", d("""
         class Stack:
             def __init__(self):
                 self.items = []


         def is_balanced(s):
             st = Stack()
             for ch in s:
                 st.items.append(ch)
             return len(st.items) % 2 == 0
         """)),
    Case("a class the tests construct is kept (MBPP/601 Pair)",
         f"{F}python\nclass Pair:\n    def __init__(self, a, b):\n        self.a = a\n"
         f"        self.b = b\n\n\ndef max_chain_length(arr, n):\n    return n\n\n\n"
         f"print(max_chain_length([Pair(1, 2)], 1))\n{F}", "max_chain_length",
         "class Pair:\n    def __init__(self, a, b):\n        self.a = a\n        self.b = b\n"
         "\n\ndef max_chain_length(arr, n):\n    return n\n"),
    Case("trailing top-level print(f(3))", f"{F}python\n{FUNC}\n\nprint(add(3, 4))\n{F}",
         "add", FUNC),
    Case("assert demos", f"{F}python\n{FUNC}\n# Tests\nassert add(1, 2) == 3\n"
         f"assert add(0, 0) == 0\nprint('all passed')\n{F}", "add", FUNC),
    Case("imports inside and outside the function, a demo-only import",
         f"{F}python\nimport math\n\n\ndef add(a, b):\n    from operator import add as plus\n"
         f"    return plus(a, b) + math.floor(0.5)\n\n\nfrom solution import add\n"
         f"print(add(1, 2))\n{F}", "add",
         "import math\n\n\ndef add(a, b):\n    from operator import add as plus\n"
         "    return plus(a, b) + math.floor(0.5)\n"),
    Case("a referenced constant stays, demo assignments and loops go",
         f"{F}python\nMOD = 10**9 + 7\nnums = [1, 2, 3]\n\n\ndef add(a, b):\n"
         f"    return (a + b) % MOD\n\n\nresult = add(1, 2)\nfor x in nums:\n"
         f"    print(add(x, x))\nn = int(input())\n{F}", "add",
         "MOD = 10**9 + 7\n\n\ndef add(a, b):\n    return (a + b) % MOD\n"),
    Case("a table built by a top-level loop stays",
         f"{F}python\nPRIMES = []\nfor i in range(2, 50):\n    if all(i % p for p in PRIMES):"
         f"\n        PRIMES.append(i)\n\n\ndef is_prime(n):\n    return n in PRIMES\n\n\n"
         f"for k in range(5):\n    print(k, is_prime(k))\n{F}", "is_prime",
         "PRIMES = []\nfor i in range(2, 50):\n    if all(i % p for p in PRIMES):\n"
         "        PRIMES.append(i)\n\n\ndef is_prime(n):\n    return n in PRIMES\n"),
    Case("a block with a syntax error, then a valid one",
         f"Pseudo-code:\n{F}python\nfor each a, b: return a plus b\n{F}\nIn Python:\n"
         f"{F}python\n{FUNC}{F}", "add", FUNC),
    Case("expected output inside the fence",
         f"{F}python\n{FUNC}\n>>> add(1, 2)\n3\n{F}", "add", FUNC),
    Case("unittest demo", f"{F}python\nimport unittest\n\n\n{FUNC}\n\nclass TestAdd(unittest."
         f"TestCase):\n    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n\n\n"
         f"unittest.main()\n{F}", "add", f"import unittest\n\n\n{FUNC}"),
    Case("solution set-up and a decorator stay",
         f"{F}python\nimport sys\nfrom functools import lru_cache\n"
         f"sys.setrecursionlimit(10000)\n\n\n@lru_cache(maxsize=None)\ndef fib(n):\n"
         f"    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\nprint(fib(30))\n{F}", "fib",
         "import sys\nfrom functools import lru_cache\nsys.setrecursionlimit(10000)\n\n\n"
         "@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + "
         "fib(n - 2)\n"),
    Case("a __future__ import is dropped",
         f"{F}python\nfrom __future__ import annotations\n\n\n{FUNC}{F}", "add", FUNC),
    Case("main() wrapper demo",
         f"{F}python\n{FUNC}\n\ndef main():\n    print(add(int(input()), 2))\n\n\nmain()\n{F}",
         "add", FUNC),
    Case("bash block before the Python block",
         f"Install nothing:\n{F}bash\npip install nothing\n{F}\n{F}py\n{FUNC}{F}", "add", FUNC),
    Case("an unclosed list-item fence before the answer's block (MapCoder HumanEval/10)",
         f"3. Example:\n   {F}python\n   def example(s):\n       return s\n\n"
         f"## Code for the original problem:\n{F}python\n{FUNC}{F}\n", "add", FUNC),
    Case("fence closed at the end of the last code line",
         f"{F}python\ndef add(a, b):\n    return a + b{F}\nDone.", "add", FUNC),
    Case("Windows line endings",
         f"Code:\r\n{F}python\r\n{FUNC.replace(chr(10), chr(13) + chr(10))}{F}\r\n", "add",
         FUNC),
    Case("truncated inside the think block: no answer", "<think>\nFirst, def add(a, b):",
         "add", ""),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_answer_formats(case: Case) -> None:
    assert extract_code(case.answer, case.entry_point) == case.expected


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 20
