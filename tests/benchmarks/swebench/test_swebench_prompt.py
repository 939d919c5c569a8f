"""The oracle prompt and the extraction of a patch from an answer."""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.swebench.instances import Instance
from benchmarks.swebench.prompt import (
    EXAMPLE_PATCH,
    PROTOCOL_VERSION,
    extract_patch,
    oracle_files,
    oracle_messages,
)
from benchmarks.swebench.repos import RepoSource
from tests.benchmarks.swebench import calc_repo


def test_oracle_prompt_holds_issue_readme_and_numbered_edited_files(
        calc_mirror: tuple[Path, str], calc_instance: Instance) -> None:
    messages = oracle_messages(calc_instance, RepoSource(mirror=calc_mirror[0]))
    assert [m["role"] for m in messages] == ["system", "user"]
    text = messages[1]["content"]
    assert calc_repo.ISSUE in text
    assert "[start of README.rst]\n1 calc\n2 ====" in text
    assert "[start of calc/ops.py]" in text and "[end of calc/ops.py]" in text
    assert "10     return a + b" in text  # line numbers, as the paper's oracle text
    # the oracle shows what the reference patch edits, never the tests or the fix itself
    assert "tests/test_ops.py" not in text
    assert "a * b" not in text
    assert text.index("<issue>") < text.index("<code>") < text.index("<patch>")


def test_oracle_files_are_the_reference_patch_sources() -> None:
    inst = calc_repo.instance("0" * 40)
    assert oracle_files(inst) == ["calc/ops.py"]
    new_file = Instance(**{**inst.__dict__, "patch": inst.patch + (
        "diff --git a/calc/new.py b/calc/new.py\nnew file mode 100644\n--- /dev/null\n"
        "+++ b/calc/new.py\n@@ -0,0 +1 @@\n+X = 1\n")})
    assert oracle_files(new_file) == ["calc/ops.py"]  # absent at base_commit: not shown


def test_example_patch_in_the_prompt_is_a_valid_diff(tmp_path: Path) -> None:
    """The prompt's example must itself be well formed, or models copy a broken format."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "example.diff").write_text(EXAMPLE_PATCH + "\n")
    done = subprocess.run(["git", "apply", "--stat", "example.diff"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "1 file changed, 3 insertions(+), 1 deletion(-)" in done.stdout


def test_extract_patch_from_patch_tags_fences_and_bare_diffs() -> None:
    diff = calc_repo.REFERENCE_PATCH
    assert extract_patch(f"Here is the fix.\n<patch>\n{diff}</patch>\nHope it helps.") == diff
    assert extract_patch(f"<patch>\n```diff\n{diff}```\n</patch>") == diff
    assert extract_patch(f"Sure:\n```diff\n{diff}```\nDone.") == diff
    assert extract_patch(f"The bug is in mul.\n\n{diff}\nThat is all.") == diff
    truncated = extract_patch(f"<patch>\n{diff}")  # answer cut before </patch>
    assert truncated == diff
    assert extract_patch("I could not find the bug.") == ""


def test_protocol_version_names_prompt_and_extraction() -> None:
    assert PROTOCOL_VERSION.startswith("swebench-oracle-p")
    assert "-x" in PROTOCOL_VERSION
