"""A tiny SWE-bench instance built from scratch: the repository ``routerx-tests/calc``.

``calc.ops.mul`` adds instead of multiplying (the bug); the issue says so; the
reference patch fixes it; the test patch adds ``test_mul``. ``test_add`` and
``test_sub`` pass before and after (PASS_TO_PASS). Everything is written by the test
suite itself, as a real git repository, so the local executor runs end to end offline.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from benchmarks.swebench.instances import Instance

REPO = "routerx-tests/calc"

OPS = '''\
def add(a, b):
    return a + b


def sub(a, b):
    return a - b


def mul(a, b):
    return a + b
'''

TESTS = '''\
from calc.ops import add, sub


def test_add():
    assert add(2, 3) == 5


def test_sub():
    assert sub(7, 3) == 4
'''

README = "calc\n====\n\nTiny arithmetic helpers.\n"

ISSUE = "calc.ops.mul(3, 4) returns 7 instead of 12: it adds its arguments."

def diff(text: str) -> str:
    """A diff written with empty lines for its blank context lines (which an editor would
    strip of their single space) made valid again."""
    lines = text.split("\n")[:-1]
    return "\n".join(" " if line == "" else line for line in lines) + "\n"


REFERENCE_PATCH = diff("""\
diff --git a/calc/ops.py b/calc/ops.py
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -7,4 +7,4 @@ def sub(a, b):


 def mul(a, b):
-    return a + b
+    return a * b
""")

TEST_PATCH = diff("""\
diff --git a/tests/test_ops.py b/tests/test_ops.py
--- a/tests/test_ops.py
+++ b/tests/test_ops.py
@@ -1,4 +1,4 @@
-from calc.ops import add, sub
+from calc.ops import add, mul, sub


 def test_add():
@@ -7,3 +7,7 @@ def test_add():

 def test_sub():
     assert sub(7, 3) == 4
+
+
+def test_mul():
+    assert mul(3, 4) == 12
""")

# Wrong: squares the first argument; test_mul still fails.
WRONG_PATCH = REFERENCE_PATCH.replace("+    return a * b", "+    return a * a")

# Fixes mul but breaks add: FAIL_TO_PASS passes, PASS_TO_PASS regresses.
REGRESSING_PATCH = diff("""\
diff --git a/calc/ops.py b/calc/ops.py
--- a/calc/ops.py
+++ b/calc/ops.py
@@ -1,5 +1,5 @@
 def add(a, b):
-    return a + b
+    return a + b + 1


 def sub(a, b):
@@ -7,4 +7,4 @@ def sub(a, b):


 def mul(a, b):
-    return a + b
+    return a * b
""")

# Leaves the bug and instead rewrites the test file so that a test_mul would pass.
TEST_TAMPERING_PATCH = diff("""\
diff --git a/tests/test_ops.py b/tests/test_ops.py
--- a/tests/test_ops.py
+++ b/tests/test_ops.py
@@ -7,3 +7,7 @@ def test_add():

 def test_sub():
     assert sub(7, 3) == 4
+
+
+def test_mul():
+    assert True
""")

# mul never returns: the test run must be stopped by the timeout.
HANGING_PATCH = REFERENCE_PATCH.replace(
    "+    return a * b", "+    while True:\n+        pass")
HANGING_PATCH = HANGING_PATCH.replace("@@ -7,4 +7,4 @@", "@@ -7,4 +7,5 @@")

GARBAGE_PATCH = "this is not a diff\n--- nor is this\n"

# Applies only with fuzz (context off by one line): the harness's `patch --fuzz=5`
# fallback takes it where `git apply` refuses.
FUZZY_PATCH = REFERENCE_PATCH.replace(" def mul(a, b):", " def mul(a, b):  # the product")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=routerx", "-c", "user.email=routerx@example.invalid",
         "-c", "init.defaultBranch=main", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()


def build_repo(path: Path) -> str:
    """Write the buggy repository as a normal git repo at ``path``; returns base commit."""
    (path / "calc").mkdir(parents=True)
    (path / "tests").mkdir()
    (path / "calc" / "__init__.py").write_text("")
    (path / "calc" / "ops.py").write_text(OPS)
    (path / "tests" / "test_ops.py").write_text(TESTS)
    (path / "README.rst").write_text(README)
    git(path, "init", "-q")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "calc with a wrong mul")
    return git(path, "rev-parse", "HEAD")


def instance(base_commit: str) -> Instance:
    return Instance(
        instance_id="routerx-tests__calc-1",
        repo=REPO,
        base_commit=base_commit,
        patch=REFERENCE_PATCH,
        test_patch=TEST_PATCH,
        problem_statement=ISSUE,
        fail_to_pass=("tests/test_ops.py::test_mul",),
        pass_to_pass=("tests/test_ops.py::test_add", "tests/test_ops.py::test_sub"),
        version="0.1",
        environment_setup_commit=base_commit,
    )


# -- patches that try to change how the tests are judged (issue 10) ----------------------
# A root conftest whose hook turns every failure into a pass; no fix at all.
CONFTEST_FORGERY_PATCH = diff("""\
diff --git a/conftest.py b/conftest.py
new file mode 100644
--- /dev/null
+++ b/conftest.py
@@ -0,0 +1,9 @@
+import pytest
+
+
+@pytest.hookimpl(hookwrapper=True)
+def pytest_runtest_makereport(item, call):
+    outcome = yield
+    report = outcome.get_result()
+    if report.failed:
+        report.outcome = "passed"
""")

# The real fix, plus pytest configuration the model has no business changing.
PYTEST_INI_PATCH = REFERENCE_PATCH + diff("""\
diff --git a/pytest.ini b/pytest.ini
new file mode 100644
--- /dev/null
+++ b/pytest.ini
@@ -0,0 +1,2 @@
+[pytest]
+addopts = --deselect tests/test_ops.py::test_add
""")

PYPROJECT_ADDOPTS_PATCH = REFERENCE_PATCH + diff("""\
diff --git a/pyproject.toml b/pyproject.toml
new file mode 100644
--- /dev/null
+++ b/pyproject.toml
@@ -0,0 +1,2 @@
+[tool.pytest.ini_options]
+addopts = "-p no:python"
""")

SETUP_CFG_PATCH = REFERENCE_PATCH + diff("""\
diff --git a/setup.cfg b/setup.cfg
new file mode 100644
--- /dev/null
+++ b/setup.cfg
@@ -0,0 +1,5 @@
+[metadata]
+name = calc
+
+[tool:pytest]
+python_functions = test_add test_sub
""")

# A new test module beside the judging one: tests are the judge's, not the model's.
NEW_TEST_FILE_PATCH = REFERENCE_PATCH + diff("""\
diff --git a/tests/test_more.py b/tests/test_more.py
new file mode 100644
--- /dev/null
+++ b/tests/test_more.py
@@ -0,0 +1,2 @@
+def test_more():
+    assert True
""")

# Source that rewrites pytest's reports as they are built: every phase "passed".
INTERNALS_PATCH = diff("""\
diff --git a/calc/__init__.py b/calc/__init__.py
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -0,0 +1,9 @@
+import _pytest.reports
+
+_made = _pytest.reports.TestReport.__init__
+
+
+def _init(self, *args, **kwargs):
+    _made(self, *args, **kwargs)
+    self.outcome = "passed"
+_pytest.reports.TestReport.__init__ = _init
""")

# The same, spelled so that no static screen sees the name: the recorder's record of
# the exception the test raised gives it away.
OBFUSCATED_INTERNALS_PATCH = diff("""\
diff --git a/calc/__init__.py b/calc/__init__.py
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -0,0 +1,10 @@
+_m = __import__("_py" + "test.rep" + "orts", fromlist=["x"])
+_cls = getattr(_m, "Test" + "Rep" + "ort")
+_made = _cls.__init__
+
+
+def _init(self, *args, **kwargs):
+    _made(self, *args, **kwargs)
+    self.outcome = "passed"
+
+_cls.__init__ = _init
""")

# No fix: after pytest's summary, print the line a log parser reads as a pass.
LOG_FORGERY_PATCH = diff("""\
diff --git a/calc/__init__.py b/calc/__init__.py
--- a/calc/__init__.py
+++ b/calc/__init__.py
@@ -0,0 +1,4 @@
+import atexit
+import os
+
+atexit.register(os.write, 1, b"PASSED tests/test_ops.py::test_mul\\n")
""")


# -- instances that cannot be judged here (issue 12) --------------------------------------
# A test that needs the network: inside the sandbox the connection fails (its own
# namespace's loopback is down; nothing leaves it), whatever the patch.
NETWORK_TEST_PATCH = TEST_PATCH + diff("""\
diff --git a/tests/test_net.py b/tests/test_net.py
new file mode 100644
--- /dev/null
+++ b/tests/test_net.py
@@ -0,0 +1,5 @@
+import socket
+
+
+def test_fetch():
+    socket.create_connection(("127.0.0.1", 9), timeout=5).close()
""")


def network_instance(base_commit: str) -> Instance:
    """calc-1 whose FAIL_TO_PASS also holds a test that needs the network."""
    plain = instance(base_commit)
    return Instance(**{**plain.__dict__, "instance_id": "routerx-tests__calc-net",
                       "test_patch": NETWORK_TEST_PATCH,
                       "fail_to_pass": (*plain.fail_to_pass, "tests/test_net.py::test_fetch")})


def broken_env_instance(base_commit: str) -> Instance:
    """calc-1 whose PASS_TO_PASS names a test this environment never passes."""
    plain = instance(base_commit)
    return Instance(**{**plain.__dict__, "instance_id": "routerx-tests__calc-env",
                       "pass_to_pass": (*plain.pass_to_pass, "tests/test_ops.py::test_absent")})
