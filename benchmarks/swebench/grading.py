"""From a test log to FAIL_TO_PASS / PASS_TO_PASS results and a resolved status.

Nothing here is routerx's own judgement: the per-repository log parsers
(``swebench.harness.log_parsers``) and the grading (``swebench.harness.grading``) are
the swebench package's, so a resolved instance means what it means on the official
leaderboard. Only the plumbing differs: the harness reads a log file written in a
container; here the log comes back from the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.swebench.instances import Instance


@dataclass(frozen=True)
class Grade:
    resolved: bool
    status: str  # swebench's ResolvedStatus value: RESOLVED_FULL / _PARTIAL / _NO
    report: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    parsed: int = 0  # how many test results the parser found in the log

    def failing(self) -> dict[str, list[str]]:
        """The FAIL_TO_PASS and PASS_TO_PASS tests that did not pass."""
        return {k: v["failure"] for k, v in self.report.items()
                if k in ("FAIL_TO_PASS", "PASS_TO_PASS") and v["failure"]}


def test_spec_for(instance: Instance) -> Any:
    """The swebench TestSpec the parsers expect (only its instance fields are read)."""
    from swebench.harness.test_spec.test_spec import TestSpec

    return TestSpec(
        instance_id=instance.instance_id, repo=instance.repo, version=instance.version,
        repo_script_list=[], eval_script_list=[], env_script_list=[], arch="x86_64",
        FAIL_TO_PASS=list(instance.fail_to_pass), PASS_TO_PASS=list(instance.pass_to_pass),
        language="py", docker_specs={}, namespace=None,
    )


def test_section(log: str) -> str:
    """The part of the log between the harness's start and end markers (all of it when
    a marker is missing, as the harness's own fallback does)."""
    from swebench.harness.constants import END_TEST_OUTPUT, START_TEST_OUTPUT

    if START_TEST_OUTPUT in log:
        log = log.split(START_TEST_OUTPUT, 1)[1]
        if END_TEST_OUTPUT in log:
            log = log.split(END_TEST_OUTPUT, 1)[0]
    return log


def parse_log(instance: Instance, log: str, parser_repo: str = "") -> dict[str, str]:
    """test name -> PASSED/FAILED/SKIPPED/ERROR/XFAIL, by the repository's parser."""
    from swebench.harness.log_parsers import MAP_REPO_TO_PARSER

    repo = parser_repo or instance.repo
    if repo not in MAP_REPO_TO_PARSER:
        raise KeyError(f"the swebench package has no log parser for {repo}")
    parser = MAP_REPO_TO_PARSER[repo]
    spec = test_spec_for(instance)
    status_map = parser(test_section(log), spec)
    return status_map or parser(log, spec)


def grade(instance: Instance, status_map: dict[str, str]) -> Grade:
    """swebench's grading of a status map against the instance's test lists."""
    from swebench.harness.constants import (
        FAIL_ONLY_REPOS,
        FAIL_TO_PASS,
        KEY_INSTANCE_ID,
        PASS_TO_PASS,
        EvalType,
        ResolvedStatus,
    )
    from swebench.harness.grading import get_eval_tests_report, get_resolution_status

    eval_type = EvalType.FAIL_ONLY if instance.repo in FAIL_ONLY_REPOS else EvalType.PASS_AND_FAIL
    gold = {KEY_INSTANCE_ID: instance.instance_id, FAIL_TO_PASS: list(instance.fail_to_pass),
            PASS_TO_PASS: list(instance.pass_to_pass)}
    report = get_eval_tests_report(status_map, gold, eval_type=eval_type)
    status = get_resolution_status(report)
    return Grade(resolved=status == ResolvedStatus.FULL.value, status=status, report=report,
                 parsed=len(status_map))
