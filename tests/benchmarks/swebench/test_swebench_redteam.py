"""Red team: model patches for the calc instance that try to change how they are judged
without fixing ``mul``, through the local executor (screen, git apply in the sandbox,
the test run, the log and the recorded outcomes). None may resolve; the reference patch,
judged by the same executor, still does.

Each attack says in a comment whether it resolved before its fix.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from benchmarks.swebench.guard import screen
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.local import LocalExecutor
from tests.benchmarks.swebench import calc_repo
from tests.benchmarks.swebench.calc_repo import diff

TEST_FILES = ["tests/test_ops.py"]

#: a conftest that turns every failing report into a pass
FORGING_CONFTEST = (
    "import pytest\n\n\n"
    "@pytest.hookimpl(hookwrapper=True)\n"
    "def pytest_runtest_makereport(item, call):\n"
    "    outcome = yield\n"
    "    outcome.get_result().outcome = 'passed'\n"
)


def _git_base85(data: bytes) -> str:
    """``data`` as the lines of a git binary patch's ``literal`` block."""
    packed = zlib.compress(data)
    lines = []
    for start in range(0, len(packed), 52):
        chunk = packed[start:start + 52]
        size = chr(ord("A") + len(chunk) - 1) if len(chunk) <= 26 else chr(
            ord("a") + len(chunk) - 27)
        padded = chunk + b"\0" * (-len(chunk) % 4)
        encoded = base64.b85encode(padded).decode()[:(len(chunk) + 3) // 4 * 5]
        lines.append(size + encoded)
    return "\n".join(lines)


def binary_new_file(header_path: str, content: bytes) -> str:
    """A ``git diff --binary`` of a new file, its path written as given in the header
    (``@`` for the ``a/``/``b/`` prefix)."""
    blob = hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()
    return (f"diff --git {header_path.replace('@', 'a/')} {header_path.replace('@', 'b/')}\n"
            f"new file mode 100644\nindex {'0' * 40}..{blob}\nGIT binary patch\n"
            f"literal {len(content)}\n{_git_base85(content)}\n\nliteral 0\nHcmV?d00001\n\n")


def new_file(path: str, text: str) -> str:
    lines = text.splitlines()
    body = "".join(f"+{line}\n" for line in lines)
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n"
            f"+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}")


#: a plugin module with nothing the screen's patterns name (hooks bound by string)
HIDDEN_PLUGIN = (
    "def _wrap(item, call):\n"
    "    call.excinfo = None\n"
    "    yield\n"
    "_wrap.__dict__['py' + 'test_impl'] = {'hook' + 'wrapper': True}\n"
    "globals()['py' + 'test_runtest_makereport'] = _wrap\n"
)

#: name -> (patch, what the verdict is: "patch_touches_tests", "rejected" or "failed")
ATTACKS: dict[str, tuple[str, tuple[str, ...]]] = {
    # passed the screen before paths were unquoted as git does: a binary diff whose
    # header spells conftest.py with an octal escape
    "binary_conftest_escaped_name": (
        binary_new_file('"@\\143onftest.py"', FORGING_CONFTEST.encode()),
        ("patch_touches_tests",)),
    "binary_conftest": (binary_new_file("@conftest.py", FORGING_CONFTEST.encode()),
                        ("patch_touches_tests",)),
    # a rename whose target is an escaped conftest.py (passed the screen before)
    "rename_to_escaped_conftest": (
        diff('diff --git "a/calc/__init__.py" "b/\\143onftest.py"\nsimilarity index 100%\n'
             'rename from calc/__init__.py\nrename to "\\143onftest.py"\n'),
        ("patch_touches_tests",)),
    # pytest 9 reads pytest.toml first (was not screened): it loads a plugin from the
    # source whose hooks no pattern names (resolved before the fix)
    "pytest_toml_loads_a_hidden_plugin": (
        new_file("calc/hidden.py", HIDDEN_PLUGIN)
        + new_file("pytest.toml", '[pytest]\naddopts = ["-p", "calc.hidden"]'),
        ("patch_touches_tests",)),
    "conftest_in_a_subdirectory": (new_file("calc/sub/conftest.py", FORGING_CONFTEST),
                                   ("patch_touches_tests",)),
    "tox_ini": (new_file("tox.ini", "[pytest]\naddopts = -p calc.hidden\n"),
                ("patch_touches_tests",)),
    "setup_cfg_section": (new_file("setup.cfg", "[tool:pytest]\naddopts = -p calc.hidden\n"),
                          ("patch_touches_tests",)),
    "pytest_plugins_in_source": (new_file("calc/plugins.py", "pytest_plugins = ['calc.x']"),
                                 ("patch_touches_tests",)),
    "sitecustomize": (new_file("sitecustomize.py", "import calc\n"), ("rejected",)),
    "usercustomize_in_a_package": (new_file("calc/usercustomize.py", "x = 1\n"),
                                   ("rejected",)),
    # path and plugin registrations the screen cannot read (a .pth in the checkout had
    # no effect; the entry point's plugin resolved before the fix)
    "pth_file": (new_file("calc.pth", "import calc.hidden\n"), ("rejected",)),
    "entry_point_plugin": (
        new_file("calc/hidden.py", HIDDEN_PLUGIN)
        + new_file("evil-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: evil\n"
                                                  "Version: 1.0")
        + new_file("evil-1.0.dist-info/entry_points.txt", "[pytest11]\nevil = calc.hidden"),
        ("rejected",)),
    "unchecked_pyc": (binary_new_file("@calc/__pycache__/ops.cpython-311.pyc",
                                      b"\x00" * 16), ("rejected",)),
    "binary_source": (binary_new_file("@calc/boot.py", b"import _pytest\n"),
                      ("rejected",)),
    # reaching into pytest from source, spelled to pass a pattern
    "internals_through_sys_modules": (
        new_file("calc/__init__.py", "import sys\n"
                 "_r = sys.modules['_py' + 'test.runner']\n"
                 "_r.check_interactive_exception = lambda *a: False\n"),
        ("failed", "rejected")),
    "import_hook": (
        new_file("calc/__init__.py", "import builtins\n_imp = builtins.__import__\n"
                 "def _hook(name, *a, **k):\n    return _imp(name, *a, **k)\n"
                 "builtins.__import__ = _hook\n"),
        ("failed",)),
    # unittest-style assertions made no-ops (calc's tests are plain asserts; on a
    # TestCase suite this resolved with nothing for the recorder to see)
    "monkeypatch_unittest": (
        new_file("calc/__init__.py", "import unittest\n"
                 "unittest.TestCase.assertEqual = lambda *a, **k: None\n"),
        ("rejected",)),
    "monkeypatch_testcase_by_setattr": (
        new_file("calc/__init__.py", "from unittest import TestCase as T\n"
                 "setattr(T, 'assert' + 'True', lambda *a, **k: None)\n"),
        ("rejected", "failed")),
    # no pytest internals at all: after pytest has closed the recording, rewrite it
    # to agree with a forged log line
    "rewrite_the_recording": (
        new_file("calc/__init__.py", "import atexit, json, os, sys\n"
                 "def _forge():\n"
                 "    for arg in sys.argv:\n"
                 "        if arg.startswith('--routerx-report='):\n"
                 "            with open(arg.split('=', 1)[1], 'w') as out:\n"
                 "                out.write(json.dumps({'event': 'start'}) + '\\n')\n"
                 "                for name in ('test_add', 'test_sub', 'test_mul'):\n"
                 "                    out.write(json.dumps({'event': 'made', 'when': 'call',\n"
                 "                        'nodeid': 'tests/test_ops.py::' + name,\n"
                 "                        'outcome': 'passed', 'xfail': False}) + '\\n')\n"
                 "    os.write(1, b'PASSED tests/test_ops.py::test_mul\\n')\n"
                 "atexit.register(_forge)\n"),
        ("rejected",)),
    # outside the checkout
    "dotdot_path": (new_file("../recording/outcomes.jsonl", '{"event": "start"}'),
                    ("patch_failed", "failed")),
    "dotdot_pytest_ini": (new_file("../pytest.ini", "[pytest]\naddopts = -p calc.hidden"),
                          ("patch_touches_tests",)),
    "symlink_into_tests": (
        "diff --git a/calc/t b/calc/t\nnew file mode 120000\n--- /dev/null\n+++ b/calc/t\n"
        "@@ -0,0 +1 @@\n+../tests\n\\ No newline at end of file\n"
        + new_file("calc/t/test_ops.py", "def test_mul():\n    pass\n"),
        ("patch_touches_tests", "patch_failed")),
    "rename_a_test_away": (
        "diff --git a/tests/test_ops.py b/calc/old_tests.py\nsimilarity index 100%\n"
        "rename from tests/test_ops.py\nrename to calc/old_tests.py\n",
        ("patch_touches_tests",)),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_no_patch_changes_how_it_is_judged(name: str, calc_executor: LocalExecutor,
                                           calc_instance: Instance, sandbox: object) -> None:
    patch, allowed = ATTACKS[name]
    verdict = calc_executor.evaluate(calc_instance, patch, sandbox)
    assert verdict.status in allowed, (verdict.status, verdict.detail, verdict.log_tail)
    assert not verdict.resolved and not verdict.to_sample_result().passed


def test_the_reference_still_resolves(calc_executor: LocalExecutor, calc_instance: Instance,
                                      sandbox: object) -> None:
    verdict = calc_executor.evaluate(calc_instance, calc_repo.REFERENCE_PATCH, sandbox)
    assert verdict.status == "passed", (verdict.detail, verdict.log_tail)


@pytest.mark.parametrize("name", sorted(n for n, (_, allowed) in ATTACKS.items()
                                        if allowed == ("patch_touches_tests",)))
def test_the_screen_names_what_it_left_out(name: str) -> None:
    screened = screen(ATTACKS[name][0], test_files=TEST_FILES)
    assert screened.dropped, name
