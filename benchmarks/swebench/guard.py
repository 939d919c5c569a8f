"""What a model's patch may change: never how the tests that judge it are run.

The official harness resets the test patch's files before running them, but applies
everything else the model wrote: a root ``conftest.py`` whose ``pytest_runtest_makereport``
hook turns failures into passes, an ``addopts`` line that deselects the failing test, or a
source module that reaches into ``_pytest`` would all be judged "resolved" there. Here:

- **Test infrastructure is not applied.** Whole files: any ``conftest.py``, ``pytest.ini``,
  ``.pytest.ini``, ``tox.ini``; test modules (``test_*.py``, ``*_test.py``, ``tests.py``) and
  anything under a ``tests``/``test``/``testing`` directory; the files the test patch
  touches and everything under its test directories; the test runner the recipe names
  (``bin/test``, ``runtests.py``); routerx's own outcome recorder. Hunks: the pytest and
  tox sections of ``setup.cfg`` and ``pyproject.toml`` (``[tool:pytest]``,
  ``[tool.pytest.ini_options]``, ``[tox:tox]``...), and any hunk that adds or removes a
  ``pytest_plugins`` line. The verdict is then ``patch_touches_tests`` (a failure of the
  model), naming what was left out.
- **Source that reaches into the test runner is refused** (``rejected``): added lines of the
  remaining source naming ``_pytest``, ``pluggy``, a ``pytest_*`` hook, ``TestReport``,
  ``hookimpl``/``hookwrapper`` or the plugin manager, and new modules that would shadow
  ``pytest``, ``_pytest``, ``pluggy`` or start with the interpreter (``sitecustomize``).
  A repository that is itself pytest or pluggy is exempt from this rule (its source *is*
  those internals).

Files the reference patch edits are source by definition and never count as tests (a
Django fix may live in ``django/test/``, a pytest fix in ``src/_pytest/``).

This is a static screen: code can always be obfuscated. What it misses is caught later,
where possible, by comparing the test log with the outcomes pytest itself recorded
(``outcomes``).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from benchmarks.swebench.patches import FileDiff, Hunk, Patch, parse_patch

#: the pytest plugin routerx loads to record outcomes (must not be shadowed)
RECORDER_MODULE = "routerx_swebench_report"

TEST_DIR_NAMES = frozenset({"tests", "test", "testing"})
WHOLE_FILES = frozenset({"conftest.py", "pytest.ini", ".pytest.ini", "pytest.toml",
                         ".pytest.toml", "tox.ini",
                         f"{RECORDER_MODULE}.py", "runtests.py"})
SECTIONED_FILES = frozenset({"setup.cfg", "pyproject.toml"})
_TEST_MODULE = re.compile(r"^(test_.*|.*_test|tests)\.py$")
_SECTION = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_RUNNER_SECTION = re.compile(r"^(pytest|tool:pytest|tool\.pytest(\..*)?|tox(:.*)?|tool\.tox(\..*)?"
                             r"|testenv(:.*)?)$")
_PLUGINS_LINE = re.compile(r"\bpytest_plugins\b")
_INTERNALS = re.compile(
    r"\b(_pytest|pluggy|TestReport|CollectReport|hookimpl|hookwrapper|pluginmanager"
    rf"|HookimplMarker|HookspecMarker|{RECORDER_MODULE})\b|\bpytest_[A-Za-z]\w*")
#: an assignment to an attribute of unittest or of its TestCase (``TestCase.assertEqual =
#: ...`` turns every failing unittest-style assertion into a pass, with no pytest
#: internals involved and nothing for the recorder to see)
_UNITTEST_PATCH = re.compile(r"\b(?:unittest|TestCase)\b(?:\.\w+)+\s*=(?!=)"
                             r"|\bsetattr\(\s*(?:unittest|[\w.]*TestCase)\b")
_SHADOW_ANYWHERE = frozenset({"_pytest", "pluggy", "pytest.py", "_pytest.py", "pluggy.py",
                              "sitecustomize.py", "usercustomize.py"})
_SHADOW_AT_ROOT = frozenset({"pytest", "py", "py.py"})
#: names whose presence in the repository itself exempts it from the internals rule
RUNNER_PACKAGES = ("_pytest", "pluggy")


@dataclass(frozen=True)
class Screened:
    """The part of the patch that will be applied, what was left out and why, and the
    reason the patch is refused outright ("" if it is not)."""

    patch: str
    dropped: tuple[str, ...] = ()
    rejected: str = ""

    @property
    def touches_tests(self) -> bool:
        return bool(self.dropped)


def judging_dirs(test_files: Iterable[str]) -> set[str]:
    """The test directories of the test patch: for each file, its path up to the first
    ``tests``/``test``/``testing`` component (``sympy/core/tests``, ``tests``). A file
    outside any such directory (``test_requests.py`` at the root) adds no directory."""
    dirs = set()
    for name in test_files:
        parts = PurePosixPath(name).parts[:-1]
        for k, part in enumerate(parts):
            if part in TEST_DIR_NAMES:
                dirs.add("/".join(parts[:k + 1]))
                break
    return dirs


def runner_files(test_cmd: str) -> set[str]:
    """Relative paths the recipe's test command runs (``bin/test``, ``./tests/runtests.py``)."""
    try:
        words = shlex.split(test_cmd)
    except ValueError:
        words = test_cmd.split()
    found = set()
    for word in words:
        if "/" in word and not word.startswith(("/", "-")) and "=" not in word:
            found.add(str(PurePosixPath(word)))
    return found


def is_test_path(path: str, test_files: Collection[str], dirs: Collection[str],
                 runners: Collection[str]) -> bool:
    """Whether a file is test infrastructure as a whole (see the module docstring)."""
    pure = PurePosixPath(path)
    if pure.name in WHOLE_FILES or _TEST_MODULE.match(pure.name):
        return True
    if path in test_files or path in runners:
        return True
    if any(part in TEST_DIR_NAMES for part in pure.parts[:-1]):
        return True
    return any(path == d or path.startswith(d + "/") for d in dirs)


def _section_at(original: str | None, line_no: int) -> str | None:
    """The ini/toml section in force just before 1-based ``line_no`` of the original."""
    if not original:
        return None
    section = None
    for line in original.splitlines()[:max(line_no - 1, 0)]:
        match = _SECTION.match(line)
        if match:
            section = match.group(1)
    return section


def _hunk_touches_runner_config(hunk: Hunk, original: str | None) -> bool:
    """Whether a hunk of setup.cfg/pyproject.toml adds, removes or edits a line inside a
    pytest or tox section (or adds such a section)."""
    section = _section_at(original, hunk.old_start)
    for line in hunk.body:
        mark, text = line[:1], line[1:]
        match = _SECTION.match(text)
        if mark in (" ", "-", "+") and match:
            section = match.group(1)
            if mark != " " and _RUNNER_SECTION.match(section):
                return True
            continue
        if mark in ("-", "+") and section and _RUNNER_SECTION.match(section):
            return True
    return False


def _shadows_runner(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if any(part in _SHADOW_ANYWHERE for part in parts):
        return True
    roots = parts[1:2] if parts[:1] == ("src",) else parts[:1]
    return bool(roots) and roots[0] in _SHADOW_AT_ROOT and (len(parts) > 1 or
                                                            roots[0].endswith(".py"))


def screen(model_patch: str, *, test_files: Collection[str], test_cmd: str = "",
           reference_files: Collection[str] = (),
           original: Callable[[str], str | None] = lambda _: None,
           owns_runner: bool = False) -> Screened:
    """Split ``model_patch`` into what is applied and what is left out.

    ``test_files``: the files the test patch touches; ``test_cmd``: the recipe's test
    command; ``reference_files``: the files the reference patch edits (never tests);
    ``original(path)``: a file's text at ``base_commit`` (to place setup.cfg hunks in their
    section); ``owns_runner``: the repository is pytest or pluggy itself."""
    patch = parse_patch(model_patch)
    dirs, runners = judging_dirs(test_files), runner_files(test_cmd)
    reference = set(reference_files)
    kept: list[FileDiff] = []
    dropped: list[str] = []
    for diff in patch.files:
        if not reference.intersection(diff.paths) and any(
                is_test_path(p, test_files, dirs, runners) for p in diff.paths):
            dropped.append(diff.path)
            continue
        hunks, left_out = [], []
        for hunk in diff.hunks:
            if any(_PLUGINS_LINE.search(line) for line in hunk.changed):
                left_out.append("pytest_plugins")
            elif (PurePosixPath(diff.path).name in SECTIONED_FILES
                  and _hunk_touches_runner_config(hunk, original(diff.path)
                                                  if diff.old_path else None)):
                left_out.append("pytest/tox section")
            else:
                hunks.append(hunk)
        if left_out:
            dropped.append(f"{diff.path} ({', '.join(dict.fromkeys(left_out))})")
            if not hunks:
                continue
            diff = diff.with_hunks(tuple(hunks))
        kept.append(diff)
    if not dropped:  # untouched, byte for byte (and garbage stays garbage for git apply)
        remaining = model_patch
    else:
        remaining = Patch(patch.preamble, tuple(kept)).text if kept else ""
    return Screened(remaining, tuple(dropped),
                    "" if owns_runner else _reach_into_runner(kept))


#: files Python or pytest would load whose code the screen cannot read: compiled
#: modules (an unchecked-hash .pyc is imported without its source), path files, and a
#: distribution's metadata (its entry_points.txt registers pytest11 plugins, which
#: pytest loads from any such directory on sys.path, the checkout included)
_COMPILED_SUFFIXES = frozenset({".pyc", ".pyo", ".pyd", ".so", ".pth", ".egg"})
_METADATA_DIRS = (".dist-info", ".egg-info")
#: binary patches are read only for these (pictures and documents); any other file a
#: binary patch writes could be code or configuration the screen never sees
_BINARY_DATA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".ico", ".svg",
                                   ".pdf", ".webp", ".tif", ".tiff", ".ttf", ".otf",
                                   ".woff", ".woff2", ".wav", ".mp3", ".ogg"})


def _unreadable(diff: FileDiff) -> str:
    """Why ``diff`` writes code the screen cannot read ("" when it does not)."""
    path = PurePosixPath(diff.path)
    if path.suffix.lower() in _COMPILED_SUFFIXES or "__pycache__" in path.parts \
            or path.name == "entry_points.txt" \
            or any(part.endswith(_METADATA_DIRS) for part in path.parts):
        return (f"{diff.path} would load code the screen cannot read (compiled modules, "
                ".pth files, distribution metadata and its plugin entry points)")
    if any(line.startswith("GIT binary patch") for line in diff.header) \
            and path.suffix.lower() not in _BINARY_DATA_SUFFIXES:
        return f"{diff.path} is written by a binary patch, which the screen cannot read"
    return ""


def _reach_into_runner(files: Iterable[FileDiff]) -> str:
    """Why the remaining source is refused ("" when it is not): it names pytest's or
    pluggy's internals, or adds a module that would run before or instead of pytest."""
    for diff in files:
        if diff.new_path and _shadows_runner(diff.new_path):
            return (f"{diff.new_path} would shadow the test runner or run at interpreter "
                    "start (pytest, _pytest, pluggy, sitecustomize)")
        unreadable = _unreadable(diff) if diff.new_path else ""
        if unreadable:
            return unreadable
        for hunk in diff.hunks:
            for line in hunk.body:
                if line[:1] != "+":
                    continue
                match = _INTERNALS.search(line) or _UNITTEST_PATCH.search(line)
                if match:
                    return (f"{diff.path} reaches into the test runner: it adds "
                            f"`{match.group(0)}` (pytest internals, hooks or plugins are "
                            "not allowed in source)")
    return ""
