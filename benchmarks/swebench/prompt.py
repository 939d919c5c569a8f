"""The generation prompt: the "oracle" text setting of the SWE-bench paper, for chat models.

The model sees the issue, the repository's top-level README and the full contents (with
line numbers) of the files the reference patch edits, as they are at ``base_commit``,
and answers with one unified diff. This is the setting in which the paper reports its
text-only baselines (the retrieval is perfect, so the score measures the repair, not
the search). Files the reference patch creates are absent at ``base_commit`` and so
are not shown.

The answer is then reduced to a diff (``extract_patch``): a ``<patch>`` element (the
format this prompt asks for), else the rules of ``benchmarks.extraction.extract_diff``
(fenced ``diff`` blocks, bare diffs, prose around).

Change any text or rule here and bump ``PROMPT_VERSION``: it is part of the
benchmark's protocol version, so scores are only compared within one protocol.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from benchmarks.extraction import EXTRACTION_VERSION, extract_diff
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.repos import RepoSource

PROMPT_VERSION = "1"
PATCH_RULES_VERSION = "1"
PROTOCOL_VERSION = f"swebench-oracle-p{PROMPT_VERSION}-x{EXTRACTION_VERSION}.{PATCH_RULES_VERSION}"

SYSTEM = (
    "You are an expert software engineer. You fix issues in Python repositories by "
    "writing patches that apply cleanly with `git apply`."
)

# Built from lines: a blank context line of a diff is one space, which an editor strips.
EXAMPLE_PATCH = "\n".join([
    "--- a/geometry/shapes.py",
    "+++ b/geometry/shapes.py",
    "@@ -10,8 +10,10 @@ class Circle:",
    "     def __init__(self, radius):",
    "         self.radius = radius",
    " ",
    "     def area(self):",
    "-        return 3.14 * self.radius ** 2",
    "+        if self.radius < 0:",
    "+            raise ValueError(\"radius must be non-negative\")",
    "+        return math.pi * self.radius ** 2",
    " ",
    "     def perimeter(self):",
    "         return 2 * math.pi * self.radius",
])

def oracle_files(instance: Instance) -> list[str]:
    """The files the reference patch edits (existing at ``base_commit``), in patch order.

    Uses the swebench package's own reading of a patch, as the harness does."""
    from swebench.harness.utils import get_modified_files

    return list(dict.fromkeys(get_modified_files(instance.patch)))


def readme_names(root_files: list[str]) -> list[str]:
    """Top-level files whose name starts with "readme" (the paper's rule)."""
    return sorted(f for f in root_files if f.lower().startswith("readme"))


def numbered(text: str) -> str:
    return "\n".join(f"{i} {line}" for i, line in enumerate(text.split("\n"), start=1))


def code_block(files: Mapping[str, str]) -> str:
    return "\n".join(f"[start of {name}]\n{numbered(text)}\n[end of {name}]"
                     for name, text in files.items())


def oracle_text(instance: Instance, readmes: Mapping[str, str], files: Mapping[str, str]) -> str:
    return "\n".join([
        "You will be provided with a partial code base and an issue statement explaining a "
        "problem to resolve.",
        "<issue>",
        instance.problem_statement.strip("\n"),
        "</issue>",
        "",
        "<code>",
        code_block(readmes),
        code_block(files),
        "</code>",
        "",
        "Here is an example of a patch file. It consists of changes to the code base. It "
        "specifies the file names, the line numbers of each change, and the removed and added "
        "lines. A single patch file can contain changes to multiple files.",
        "<patch>",
        EXAMPLE_PATCH,
        "</patch>",
        "",
        "I need you to solve the provided issue by generating a single patch file that I can "
        "apply directly to this repository using git apply. Please respond with a single patch "
        "file in the format shown above, inside <patch> and </patch>.",
        "Respond below:",
    ])


def oracle_messages(instance: Instance, repos: RepoSource) -> list[dict[str, str]]:
    """Chat messages for ``instance``, reading the files at ``base_commit`` from ``repos``."""
    commit = instance.base_commit
    readmes = {}
    for name in readme_names(repos.list_root(instance.repo, commit)):
        text = repos.read_file(instance.repo, commit, name)
        if text is not None:
            readmes[name] = text
    files = {}
    for name in oracle_files(instance):
        text = repos.read_file(instance.repo, commit, name)
        if text is not None:
            files[name] = text
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": oracle_text(instance, readmes, files)},
    ]


_PATCH_TAG = re.compile(r"<patch>\s*\n?(.*?)(?:</patch>|\Z)", re.DOTALL)


def extract_patch(answer: str) -> str:
    """The diff in a model's answer ('' when there is none).

    ``<patch>`` elements first (what the prompt asks for; an unterminated one runs to the
    end of a truncated answer), each reduced by ``extract_diff`` so fences or prose inside
    are dropped; otherwise ``extract_diff`` on the whole answer.
    """
    tagged = [extract_diff(m.group(1)) for m in _PATCH_TAG.finditer(answer)]
    tagged = [t for t in tagged if t]
    if tagged:
        return "".join(tagged)
    return extract_diff(answer)
