"""routerx's recorder of pytest outcomes, loaded with ``-p`` into a SWE-bench test run.

Why: the test log is text the tested code can write to (an ``atexit`` handler printing
``PASSED tests/test_x.py::test_y`` after pytest's summary fools a log parser). This
plugin records what pytest itself decided, to a file outside the checkout, so the judge
can check the log against it (``benchmarks.swebench.outcomes``).

Why it records in a ``pytest_runtest_makereport`` wrapper: ``-p`` plugins are registered
after pytest's built-in ones and before any conftest or entry-point plugin, and pluggy
calls wrappers registered later around earlier ones; so this wrapper sees the report as
pytest and its skipping plugin made it, before a later hook could rewrite it. It also
records whether the phase raised (``call.excinfo``), and each report again when it is
logged (``pytest_runtest_logreport``): a report made failing and logged passing was
rewritten in between, and one that passed although the test raised was forged as it was
built.

This file is copied into the environment's site-packages as ``routerx_swebench_report``
and runs in the repository's own interpreter and pytest: Python 3.5 syntax, pytest 3+
API, nothing imported from routerx.
"""

import json
import os

import pytest

_STATE = {"out": None, "config": None}
#: Each record also goes, as a line with this mark, to the test run's own output
#: through a copy of stdout taken when pytest imports this plugin (before any conftest
#: or tested code runs, and before pytest captures fd 1). The file can be rewritten by
#: the code under test (an atexit handler after pytest closed it); output already
#: written cannot be taken back, so the judge reads the records from the output and
#: rejects a file that differs.
MARK = "@routerx-outcome "
try:
    _STREAM = os.dup(1)
except OSError:
    _STREAM = None


def pytest_addoption(parser):
    parser.getgroup("routerx").addoption(
        "--routerx-report", dest="routerx_report", default=None,
        help="append each test report's outcome to this JSON-lines file")


def pytest_configure(config):
    path = config.getoption("routerx_report", None)
    worker = hasattr(config, "workerinput") or hasattr(config, "slaveinput")
    if path and _STATE["out"] is None and not worker:
        _STATE["out"] = open(path, "a")
        _STATE["config"] = config
        _write({"event": "start", "pid": os.getpid(), "pytest": pytest.__version__})


def pytest_unconfigure(config):
    if _STATE["out"] is not None and _STATE["config"] is config:
        _write({"event": "end"})
        _STATE["out"].close()
        _STATE["out"] = None


def _write(record):
    out = _STATE["out"]
    if out is not None:
        line = json.dumps(record) + "\n"
        out.write(line)
        out.flush()
        if _STREAM is not None:
            try:
                os.write(_STREAM, ("\n" + MARK + line).encode("utf-8"))
            except OSError:
                pass


def _record(event, report, when, raised=None):
    nodeid = report.nodeid
    config = _STATE["config"]
    try:
        nodeid = config.cwd_relative_nodeid(nodeid)  # the name pytest's -rA prints
    except Exception:  # very old pytest: the raw nodeid
        pass
    record = {"event": event, "nodeid": nodeid, "when": when, "outcome": report.outcome,
              "xfail": hasattr(report, "wasxfail")}
    if raised is not None:
        record["raised"] = raised
    _write(record)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    try:
        report = outcome.get_result()
    except BaseException:  # another hook failed: pytest reports that
        return
    # the test's own exception, as pytest caught it: a report saying "passed" for a
    # phase that raised was forged when it was built
    _record("made", report, report.when, getattr(call, "excinfo", None) is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report):
    _record("logged", report, report.when)


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report):
    if report.failed:
        _record("collect", report, "collect")
