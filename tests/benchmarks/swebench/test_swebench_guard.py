"""The static screen of a model's patch: test infrastructure left out, runner internals
refused, real fixes untouched."""

from __future__ import annotations

import pytest

from benchmarks.swebench.guard import is_test_path, judging_dirs, runner_files, screen
from benchmarks.swebench.patches import parse_patch
from tests.benchmarks.swebench import calc_repo

TEST_FILES = ["tests/test_ops.py"]


def _new_file(path: str, *lines: str) -> str:
    body = "".join(f"+{line}\n" for line in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}")


def test_a_real_fix_passes_untouched_byte_for_byte() -> None:
    screened = screen(calc_repo.REFERENCE_PATCH, test_files=TEST_FILES)
    assert screened.patch == calc_repo.REFERENCE_PATCH
    assert (screened.dropped, screened.rejected) == ((), "")
    assert not screened.touches_tests
    garbage = screen(calc_repo.GARBAGE_PATCH, test_files=TEST_FILES)
    assert garbage.patch == calc_repo.GARBAGE_PATCH  # git apply, not the screen, refuses it


@pytest.mark.parametrize("path", [
    "conftest.py", "src/pkg/conftest.py", "pytest.ini", ".pytest.ini", "tox.ini",
    "tests/test_ops.py",            # a file the test patch touches
    "tests/helpers.py",             # under the test patch's test directory
    "pkg/tests/test_new.py", "test_thing.py", "thing_test.py", "pkg/testing/util.py",
    "bin/test",                     # the runner the recipe names
    "sympy/testing/runtests.py",
    "routerx_swebench_report.py",   # routerx's own recorder
])
def test_test_infrastructure_files_are_left_out(path: str) -> None:
    patch = calc_repo.REFERENCE_PATCH + _new_file(path, "x = 1")
    screened = screen(patch, test_files=TEST_FILES, test_cmd="PYTHONWARNINGS=x bin/test -C")
    assert screened.dropped == (path,)
    assert screened.patch == calc_repo.REFERENCE_PATCH
    assert screened.rejected == ""


def test_only_infrastructure_leaves_nothing_to_apply() -> None:
    screened = screen(calc_repo.CONFTEST_FORGERY_PATCH, test_files=TEST_FILES)
    assert screened.dropped == ("conftest.py",)
    assert screened.patch == ""


SETUP_CFG = "".join(f"{line}\n" for line in [
    "[metadata]", "name = pkg", "version = 1", "", "[options]", "install_requires =",
    "    six", "", "[tool:pytest]", "addopts = -rA", "testpaths = tests", "",
    "[flake8]", "max-line-length = 100",
])

SETUP_CFG_PATCH = calc_repo.diff("""\
diff --git a/setup.cfg b/setup.cfg
--- a/setup.cfg
+++ b/setup.cfg
@@ -6,3 +6,4 @@ name = pkg
 install_requires =
     six
+    attrs

@@ -10,3 +11,3 @@ install_requires =
 addopts = -rA
-testpaths = tests
+testpaths = elsewhere

""")


def test_setup_cfg_hunks_are_judged_by_their_section() -> None:
    """The dependency hunk is a fix; the [tool:pytest] hunk is not the model's to make."""
    screened = screen(SETUP_CFG_PATCH, test_files=TEST_FILES,
                      original=lambda path: SETUP_CFG if path == "setup.cfg" else None)
    assert screened.dropped == ("setup.cfg (pytest/tox section)",)
    kept = parse_patch(screened.patch).files
    assert len(kept) == 1 and [h.old_start for h in kept[0].hunks] == [6]
    assert "+    attrs" in screened.patch and "elsewhere" not in screened.patch


@pytest.mark.parametrize("section", ["[tool.pytest.ini_options]", "[tool.tox]",
                                     "[tool:pytest]", "[pytest]", "[testenv:py39]"])
def test_a_new_runner_section_is_left_out(section: str) -> None:
    for name in ("pyproject.toml", "setup.cfg"):
        screened = screen(_new_file(name, "[project]", "name = 'x'", section, "addopts = ''"),
                          test_files=TEST_FILES)
        assert screened.dropped == (f"{name} (pytest/tox section)",), section
    other = screen(_new_file("pyproject.toml", "[project]", "name = 'x'"), test_files=TEST_FILES)
    assert other.dropped == () and other.patch  # packaging metadata is the model's to fix


def test_pytest_plugins_lines_are_left_out_anywhere() -> None:
    patch = calc_repo.REFERENCE_PATCH + _new_file("calc/extra.py", "pytest_plugins = ['x']")
    screened = screen(patch, test_files=TEST_FILES)
    assert screened.dropped == ("calc/extra.py (pytest_plugins)",)
    assert screened.patch == calc_repo.REFERENCE_PATCH


@pytest.mark.parametrize(("line", "named"), [
    ("import _pytest.reports", "_pytest"),
    ("from _pytest.runner import CallInfo", "_pytest"),
    ("def pytest_runtest_makereport(item, call):", "pytest_runtest_makereport"),
    ("def pytest_configure(config):", "pytest_configure"),
    ("from pytest import TestReport", "TestReport"),
    ("import pluggy", "pluggy"),
    ("@pytest.hookimpl(tryfirst=True)", "hookimpl"),
    ("config.pluginmanager.register(obj)", "pluginmanager"),
])
def test_source_reaching_into_pytest_is_rejected(line: str, named: str) -> None:
    patch = _new_file("calc/sneaky.py", "import os", line)
    screened = screen(patch, test_files=TEST_FILES)
    assert screened.rejected.startswith("calc/sneaky.py reaches into the test runner")
    assert f"`{named}`" in screened.rejected


@pytest.mark.parametrize("path", ["pytest.py", "src/pytest/__init__.py", "_pytest/runner.py",
                                  "pkg/pluggy/__init__.py", "sitecustomize.py"])
def test_modules_shadowing_the_runner_are_rejected(path: str) -> None:
    screened = screen(_new_file(path, "x = 1"), test_files=TEST_FILES)
    assert "would shadow the test runner" in screened.rejected


def test_pytest_itself_may_touch_its_internals() -> None:
    patch = _new_file("src/_pytest/skipping.py", "def pytest_runtest_makereport(): pass")
    assert screen(patch, test_files=TEST_FILES, owns_runner=True).rejected == ""
    assert screen(patch, test_files=TEST_FILES).rejected != ""


def test_files_the_reference_patch_edits_are_never_tests() -> None:
    """Django's test framework is Django's source: a fix may live in django/test/."""
    patch = _new_file("django/test/utils.py", "x = 1")
    assert screen(patch, test_files=["tests/x/tests.py"]).dropped == ("django/test/utils.py",)
    kept = screen(patch, test_files=["tests/x/tests.py"],
                  reference_files=["django/test/utils.py"])
    assert kept.dropped == () and kept.patch == patch


def test_test_dirs_and_runner_files() -> None:
    assert judging_dirs(["sympy/core/tests/test_basic.py", "tests/admin/tests.py",
                      "test_requests.py", "testing/python/collect.py"]) == {
        "sympy/core/tests", "tests", "testing"}
    assert runner_files("PYTHONWARNINGS='ignore' bin/test -C --verbose") == {"bin/test"}
    assert runner_files("./tests/runtests.py --verbosity 2") == {"tests/runtests.py"}
    assert runner_files("pytest -rA") == set()
    assert not is_test_path("requests/models.py", ["test_requests.py"],
                            judging_dirs(["test_requests.py"]), set())


def test_no_real_gold_patch_is_screened(lite_instances: list) -> None:
    """Every reference patch of the 300 Lite instances passes the screen untouched (the
    reference exemption off), against its own test patch and recipe."""
    from swebench.harness.utils import get_modified_files

    from benchmarks.swebench.environment import swebench_spec

    for instance in lite_instances:
        spec = swebench_spec(instance.repo, instance.version)
        screened = screen(instance.patch, test_files=get_modified_files(instance.test_patch),
                          test_cmd=spec.test_cmd,
                          owns_runner=instance.repo == "pytest-dev/pytest")
        assert (screened.patch, screened.dropped, screened.rejected) == (
            instance.patch, (), ""), instance.instance_id
