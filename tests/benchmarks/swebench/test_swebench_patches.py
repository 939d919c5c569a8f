"""Diffs split into files and hunks, and put back together byte for byte."""

from __future__ import annotations

import pytest

from benchmarks.swebench.patches import parse_patch
from tests.benchmarks.swebench import calc_repo

PLAIN = """\
Some commit message.

--- calc/ops.py.orig\t2024-01-01 00:00:00
+++ calc/ops.py\t2024-01-02 00:00:00
@@ -1,3 +1,3 @@
 def add(a, b):
--- this removed line looks like a file header
+    return a + b
 x
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
"""

GIT = """\
diff --git a/old/name.py b/new/name.py
similarity index 90%
rename from old/name.py
rename to new/name.py
--- a/old/name.py
+++ b/new/name.py
@@ -1,2 +1,2 @@
-a
+b
 c
@@ -10,1 +10,1 @@ def f():
-x
+y
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/logo.png b/logo.png
index 1111111..2222222 100644
GIT binary patch
literal 3
Kc${NkU|;|M00aO5

"""


def test_plain_diff_with_a_header_lookalike_inside_a_hunk() -> None:
    patch = parse_patch(PLAIN)
    assert patch.text == PLAIN
    assert patch.preamble == "Some commit message.\n\n"
    assert [(f.old_path, f.new_path) for f in patch.files] == [
        ("calc/ops.py.orig", "calc/ops.py"), (None, "new.txt")]
    first = patch.files[0]
    assert len(first.hunks) == 1 and first.hunks[0].old_start == 1
    assert first.hunks[0].changed == ("-- this removed line looks like a file header\n",
                                      "    return a + b\n")
    assert patch.files[1].is_new


def test_git_diff_renames_deletions_and_binary_sections() -> None:
    patch = parse_patch(GIT)
    assert patch.text == GIT
    rename, deleted, binary = patch.files
    assert rename.paths == ("old/name.py", "new/name.py")
    assert [h.old_start for h in rename.hunks] == [1, 10]
    assert (deleted.old_path, deleted.new_path) == ("gone.py", None)
    assert binary.path == "logo.png" and binary.hunks == ()
    # a hunk can be left out and the rest still reads as a diff
    trimmed = rename.with_hunks(rename.hunks[1:])
    assert "@@ -1,2" not in trimmed.text and trimmed.text.startswith("diff --git")


@pytest.mark.parametrize("name", ["REFERENCE_PATCH", "TEST_PATCH", "REGRESSING_PATCH",
                                  "SETUP_CFG_PATCH", "GARBAGE_PATCH", "FUZZY_PATCH"])
def test_calc_patches_round_trip(name: str) -> None:
    text = getattr(calc_repo, name)
    assert parse_patch(text).text == text


def test_garbage_has_no_files() -> None:
    assert parse_patch(calc_repo.GARBAGE_PATCH).files == ()


def test_every_real_lite_patch_round_trips(lite_instances: list) -> None:
    for instance in lite_instances:
        for text in (instance.patch, instance.test_patch):
            patch = parse_patch(text)
            assert patch.text == text, instance.instance_id
            assert patch.files, instance.instance_id
