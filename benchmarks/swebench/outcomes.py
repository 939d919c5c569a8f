"""The outcomes pytest recorded, checked against what the test log claims.

The grading stays swebench's: its per-repository parser reads the log, its grading turns
that into FAIL_TO_PASS / PASS_TO_PASS results. What this adds is a veto. The recorder
(``report_plugin``, loaded with ``-p`` before any conftest) wrote each report's outcome
to a file outside the checkout; those outcomes are turned back into the lines pytest's
``-rA`` summary prints (``PASSED <nodeid>``, ``FAILED <nodeid>``...) and read by the same
parser, so names come out exactly as the log's do. A test the log shows passing that
pytest did not record as passing means the log or the reports were rewritten by the
code under test: the verdict is ``rejected``.

Which runs are checked: those whose test command runs pytest (directly or through tox).
Other runners (Django's ``runtests.py``, SymPy's ``bin/test``) have no recorder; their
logs are judged as the harness judges them, with the static screen (``guard``) as the
only defence.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.swebench.guard import RECORDER_MODULE

PASSING = ("PASSED", "XFAIL")


def runs_pytest(test_cmd: str) -> bool:
    """Whether the recipe's test command ends in pytest (``pytest``, ``python -m
    pytest``, ``py.test``, or tox, whose posargs reach pytest in SWE-bench's recipes)."""
    try:
        words = shlex.split(test_cmd)
    except ValueError:
        return False
    names = {Path(w).name for w in words}
    return bool(names & {"pytest", "py.test", "tox"})


def recorder_args(report: Path) -> list[str]:
    """The arguments that load the recorder, placed before the test files."""
    return ["-p", RECORDER_MODULE, f"--routerx-report={report}"]


@dataclass(frozen=True)
class Recording:
    """What the recorder wrote: per (nodeid, phase), the outcome as made and as logged."""

    started: bool = False
    made: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    logged: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def final(self) -> dict[tuple[str, str], tuple[str, bool]]:
        """The outcome of each phase: as made (before later hooks), else as logged
        (pytest-xdist makes reports in workers; the controller only logs them)."""
        return {**self.logged, **self.made}


#: the mark of the recorder's lines in the test output (``report_plugin.MARK``)
STREAM_MARK = "@routerx-outcome "


def streamed(output: str) -> list[str]:
    """The records the recorder wrote to the test output, in order."""
    return [line.split(STREAM_MARK, 1)[1] for line in output.splitlines()
            if STREAM_MARK in line]


def read_recording(path: Path, output: str | None = None) -> Recording:
    """Parse the recorder's records; conflicting records for one phase are a problem
    (something other than the recorder wrote them). With the test run's ``output``,
    the records are those the recorder wrote there (which the code under test cannot
    take back), and a file that says anything else was rewritten."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        if output is None:
            return Recording()
        text = ""
    if output is not None:
        lines = streamed(output)
        if [line for line in text.splitlines() if line.strip()] != lines:
            return _parse(lines, ["the recording file differs from the records pytest's "
                                  "recorder wrote to the test output: it was rewritten"])
        return _parse(lines, [])
    return _parse(text.splitlines(), [])


def _parse(lines: list[str], problems: list[str]) -> Recording:
    started = False
    tables: dict[str, dict[tuple[str, str], tuple[str, bool]]] = {"made": {}, "logged": {},
                                                                  "collect": {}}
    raised: set[tuple[str, str]] = set()
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            event = record["event"]
        except (ValueError, KeyError, TypeError):
            problems.append(f"line {number} of the recording is not a record")
            continue
        if event == "start":
            if started:
                problems.append("the recording was started twice")
            started = True
            continue
        if event not in tables:
            continue
        try:
            key = (str(record["nodeid"]), str(record["when"]))
            value = (str(record["outcome"]), bool(record["xfail"]))
        except KeyError:
            problems.append(f"line {number} of the recording is incomplete")
            continue
        if record.get("raised") is True:
            raised.add(key)
        table = tables[event]
        if key in table and table[key] != value:
            problems.append(f"{key[0]} ({key[1]}) was recorded as both {table[key][0]} and "
                            f"{value[0]}")
        table[key] = value
    made = {**tables["collect"], **tables["made"]}
    for key, (outcome, _) in made.items():
        if outcome == "passed" and key in raised:
            problems.append(f"{key[0]} ({key[1]}) raised but its report says passed: the "
                            "report was forged")
        after = tables["logged"].get(key)
        if outcome == "failed" and after is not None and after[0] != "failed":
            problems.append(f"{key[0]} ({key[1]}) was made failed and logged {after[0]}: "
                            "a hook rewrote the report")
    return Recording(started, made, {**tables["collect"], **tables["logged"]},
                     tuple(problems))


def summary_lines(recording: Recording) -> str:
    """The outcomes as pytest's ``-rA`` summary prints them, in its order (passed,
    xfailed, xpassed, errors, failures), so a repository's log parser reads them."""
    sections: dict[str, list[str]] = {"PASSED": [], "XFAIL": [], "XPASS": [], "ERROR": [],
                                      "FAILED": []}
    for (nodeid, when), (outcome, xfail) in recording.final().items():
        if outcome == "failed":
            sections["FAILED" if when == "call" else "ERROR"].append(nodeid)
        elif outcome == "passed" and when == "call":
            sections["XPASS" if xfail else "PASSED"].append(nodeid)
        elif outcome == "skipped" and xfail:
            sections["XFAIL"].append(nodeid)
    return "".join(f"{word} {nodeid}\n" for word, ids in sections.items() for nodeid in ids)


def contradiction(recording: Recording, log_map: Mapping[str, str],
                  parse: Callable[[str], Mapping[str, str]], tests: Iterable[str]) -> str:
    """Why the log cannot be trusted ("" if it can): among ``tests`` (FAIL_TO_PASS and
    PASS_TO_PASS), one the log shows passing that pytest did not record passing."""
    claimed = [t for t in tests if log_map.get(t) in PASSING]
    if not claimed:
        return ""
    if recording.problems:
        return "pytest's recorded outcomes were tampered with: " + recording.problems[0]
    if not recording.started:
        return ("the test log shows passing tests but pytest's outcome recorder never "
                "started (it was disabled or its file removed)")
    recorded = parse(summary_lines(recording))
    for test in claimed:
        if recorded.get(test) not in PASSING:
            return (f"the test log shows {test} {log_map[test]} but pytest recorded "
                    f"{recorded.get(test, 'no outcome')} for it: the log was rewritten")
    return ""
