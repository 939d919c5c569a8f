"""The outcome recorder and the check of the test log against it.

The recorder runs here in a real pytest (a subprocess on test files this suite writes
itself; no model code), so the names it records are compared with the names pytest's
own ``-rA`` summary prints, through swebench's parser.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.swebench import report_plugin
from benchmarks.swebench.grading import parse_log
from benchmarks.swebench.guard import RECORDER_MODULE
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.outcomes import (
    Recording,
    contradiction,
    read_recording,
    recorder_args,
    runs_pytest,
    summary_lines,
)

TESTS = '''\
import pytest


@pytest.fixture
def broken():
    raise RuntimeError("setup fails")


def test_pass():
    assert True


def test_fail():
    assert 1 == 2


@pytest.mark.xfail
def test_xfail():
    assert False


@pytest.mark.skip(reason="not here")
def test_skip():
    pass


def test_setup_error(broken):
    pass


@pytest.mark.parametrize("value", ["a b", "c"])
def test_param(value):
    assert value == "c"
'''

# A hook registered after the recorder, as a conftest or a plugin found later would be.
REWRITING_CONFTEST = '''\
import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        report.outcome = "passed"
'''


def _run_pytest(tmp_path: Path, conftest: str | None = None) -> tuple[str, Path]:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    shutil.copy(report_plugin.__file__, plugins / f"{RECORDER_MODULE}.py")
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_things.py").write_text(TESTS)
    if conftest:
        (project / "conftest.py").write_text(conftest)
    recording = tmp_path / "outcomes.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider",
         *recorder_args(recording), "test_things.py"],
        cwd=project, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(plugins)})
    return done.stdout + done.stderr, recording


def _instance(tests: tuple[str, ...]) -> Instance:
    return Instance(instance_id="o__r-1", repo="pytest-dev/pytest", base_commit="0" * 40,
                    patch="", test_patch="", problem_statement="", fail_to_pass=tests,
                    pass_to_pass=())


def _parse(text: str) -> dict[str, str]:
    return parse_log(_instance(()), text)


def test_recorded_outcomes_read_as_the_log_does(tmp_path: Path) -> None:
    log, recording = _run_pytest(tmp_path)
    recorded = read_recording(recording)
    assert recorded.started and recorded.problems == ()
    assert recorded.made[("test_things.py::test_fail", "call")] == ("failed", False)
    assert recorded.made[("test_things.py::test_xfail", "call")] == ("skipped", True)
    from_log, from_recording = _parse(log), _parse(summary_lines(recorded))
    assert from_recording == {
        "test_things.py::test_pass": "PASSED", "test_things.py::test_fail": "FAILED",
        "test_things.py::test_xfail": "XFAIL", "test_things.py::test_setup_error": "ERROR",
        "test_things.py::test_param[a": "FAILED", "test_things.py::test_param[c]": "PASSED"}
    # every name the log's summary gives, the recording gives the same way (skips are
    # printed as "SKIPPED [1] file:line", which names no test in either)
    assert {k: v for k, v in from_log.items() if not k.startswith("[")} == from_recording
    tests = list(from_recording)
    assert contradiction(recorded, from_log, _parse, tests) == ""


def test_a_hook_rewriting_reports_after_they_are_made_is_caught(tmp_path: Path) -> None:
    log, recording = _run_pytest(tmp_path, REWRITING_CONFTEST)
    assert "PASSED test_things.py::test_fail" in log  # the log alone would believe it
    recorded = read_recording(recording)
    assert recorded.made[("test_things.py::test_fail", "call")] == ("failed", False)
    assert recorded.logged[("test_things.py::test_fail", "call")] == ("passed", False)
    reason = contradiction(recorded, _parse(log), _parse, ["test_things.py::test_fail"])
    assert reason.startswith("pytest's recorded outcomes were tampered with")
    assert "made failed and logged passed" in reason


def test_a_rewritten_log_is_caught() -> None:
    recording = Recording(started=True, made={("t.py::test_a", "call"): ("failed", False)})
    forged = _parse("FAILED t.py::test_a - assert 0\nPASSED t.py::test_a\n")
    reason = contradiction(recording, forged, _parse, ["t.py::test_a"])
    assert reason == ("the test log shows t.py::test_a PASSED but pytest recorded FAILED "
                      "for it: the log was rewritten")
    # a failing log needs no recorder: nothing to veto
    assert contradiction(Recording(), {"t.py::test_a": "FAILED"}, _parse, ["t.py::test_a"]) == ""
    silent = contradiction(Recording(), forged, _parse, ["t.py::test_a"])
    assert "outcome recorder never started" in silent


def test_tampered_recording_files(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    records = [{"event": "start"},
               {"event": "made", "nodeid": "t.py::a", "when": "call", "outcome": "failed",
                "xfail": False, "raised": True},
               {"event": "made", "nodeid": "t.py::a", "when": "call", "outcome": "passed",
                "xfail": False},
               {"event": "made", "nodeid": "t.py::b", "when": "call", "outcome": "passed",
                "xfail": False, "raised": True}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "garbage\n")
    problems = read_recording(path).problems
    assert "t.py::a (call) was recorded as both failed and passed" in problems
    assert any("t.py::b (call) raised but its report says passed" in p for p in problems)
    assert "line 5 of the recording is not a record" in problems
    assert read_recording(tmp_path / "missing.jsonl") == Recording()


def test_summary_lines_follow_pytest_order() -> None:
    recording = Recording(started=True, made={
        ("t.py::f", "call"): ("failed", False), ("t.py::p", "call"): ("passed", False),
        ("t.py::p", "teardown"): ("failed", False), ("t.py::x", "call"): ("skipped", True),
        ("t.py::xp", "call"): ("passed", True), ("t.py::s", "setup"): ("skipped", False),
        ("t.py::p", "setup"): ("passed", False)})
    assert summary_lines(recording).splitlines() == [
        "PASSED t.py::p", "XFAIL t.py::x", "XPASS t.py::xp", "ERROR t.py::p", "FAILED t.py::f"]


@pytest.mark.parametrize(("command", "expected"), [
    ("pytest -rA", True), ("pytest --no-header -rA", True), ("python -m pytest -rA", True),
    ("tox --current-env -epy39 -v --", True), ("py.test", True),
    ("PYTHONWARNINGS='ignore' bin/test -C --verbose", False),
    ("./tests/runtests.py --verbosity 2", False), ("unbalanced 'quote", False),
])
def test_which_commands_get_the_recorder(command: str, expected: bool) -> None:
    assert runs_pytest(command) is expected
