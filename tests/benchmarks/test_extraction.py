"""Extraction of code and diffs from chat answers."""

from __future__ import annotations

import textwrap

from benchmarks.extraction import (
    extract_code,
    extract_diff,
    fenced_blocks,
    is_body,
    strip_non_solution,
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


def test_strip_non_solution_leaves_unparseable_code_alone() -> None:
    broken = "def add(a, b)\n    return a + b\nprint(1)\n"
    assert strip_non_solution(broken) == broken


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
