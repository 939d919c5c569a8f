"""Chat prompt templates for the function-level suites.

One template per suite, deliberately plain: the same words for every model, asking for
one fenced Python block, so that what is measured is the model and not a prompt tuned
for it. Each template has a version; change the wording and bump it (it is part of the
suite's ``protocol_version``, stored with every result).
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.registry import Message

SYSTEM = (
    "You are an expert Python programmer. Answer with working Python 3 code in a single "
    "```python fenced block. Do not include tests or example usage."
)

HUMANEVAL_TEMPLATE_VERSION = "1"
MBPP_TEMPLATE_VERSION = "1"


def humaneval_messages(prompt: str) -> list[Message]:
    """HumanEval: the signature and docstring, asking for the complete function."""
    user = (
        "Complete the following Python function. Return the whole function, including "
        "its signature and any imports it needs.\n\n"
        f"```python\n{prompt.rstrip()}\n```"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def mbpp_messages(text: str, tests: Sequence[str]) -> list[Message]:
    """MBPP: the task text and its tests, as in the MBPP paper's prompt.

    The tests are shown because they carry the function's name and signature, which
    the task text alone does not give.
    """
    shown = "\n".join(tests)
    user = (
        f"{text.strip()}\nYour code should pass these tests:\n\n```python\n{shown}\n```"
    )
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
