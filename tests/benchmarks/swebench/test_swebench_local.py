"""The local executor, end to end in the real sandbox, on the calc instance.

Every verdict the brief names: resolved for the reference patch, not resolved for a
wrong one, ``patch_failed`` for garbage, a PASS_TO_PASS regression, tampering with the
judging tests, a hang stopped by the timeout, the harness's fuzzy fallback.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks.swebench.instances import Instance
from benchmarks.swebench.local import LocalExecutor, eval_script, run_tests_command
from benchmarks.swebench.repos import RepoSource
from tests.benchmarks.swebench import calc_repo


def test_reference_patch_resolves(calc_executor: LocalExecutor, calc_instance: Instance,
                                  sandbox: object) -> None:
    verdict = calc_executor.evaluate(calc_instance, calc_repo.REFERENCE_PATCH, sandbox)
    assert verdict.status == "passed", (verdict.detail, verdict.log_tail)
    assert verdict.resolved and verdict.to_sample_result().passed
    assert verdict.tests["FAIL_TO_PASS"]["success"] == ["tests/test_ops.py::test_mul"]
    assert sorted(verdict.tests["PASS_TO_PASS"]["success"]) == [
        "tests/test_ops.py::test_add", "tests/test_ops.py::test_sub"]


def test_wrong_patch_is_not_resolved(calc_executor: LocalExecutor, calc_instance: Instance,
                                     sandbox: object) -> None:
    verdict = calc_executor.evaluate(calc_instance, calc_repo.WRONG_PATCH, sandbox)
    assert verdict.status == "failed"
    assert not verdict.resolved
    assert verdict.detail == "FAIL_TO_PASS failing: tests/test_ops.py::test_mul"


def test_pass_to_pass_regression_is_detected(calc_executor: LocalExecutor,
                                             calc_instance: Instance, sandbox: object) -> None:
    verdict = calc_executor.evaluate(calc_instance, calc_repo.REGRESSING_PATCH, sandbox)
    assert verdict.status == "failed"
    assert verdict.tests["FAIL_TO_PASS"]["success"] == ["tests/test_ops.py::test_mul"]
    assert verdict.tests["PASS_TO_PASS"]["failure"] == ["tests/test_ops.py::test_add"]
    assert "PASS_TO_PASS failing: tests/test_ops.py::test_add" in verdict.detail


def test_garbage_and_empty_patches_are_patch_failed(calc_executor: LocalExecutor,
                                                    calc_instance: Instance,
                                                    sandbox: object) -> None:
    garbage = calc_executor.evaluate(calc_instance, calc_repo.GARBAGE_PATCH, sandbox)
    assert garbage.status == "patch_failed"
    assert garbage.detail.startswith("the patch does not apply: error:")
    assert not garbage.to_sample_result().passed
    empty = calc_executor.evaluate(calc_instance, "  \n", sandbox)
    assert (empty.status, empty.detail) == ("patch_failed", "empty patch")


def test_a_patch_may_not_rewrite_the_tests_that_judge_it(calc_executor: LocalExecutor,
                                                         calc_instance: Instance,
                                                         sandbox: object) -> None:
    """The test file is left out (the harness would reset it anyway) and the verdict
    says so: rewriting the judge is a failure, not a neutral act."""
    verdict = calc_executor.evaluate(calc_instance, calc_repo.TEST_TAMPERING_PATCH, sandbox)
    assert verdict.status == "patch_touches_tests"
    assert verdict.dropped == ("tests/test_ops.py",)
    assert verdict.detail == ("the patch changes test infrastructure, left out: "
                              "tests/test_ops.py; nothing else in the patch")
    assert not verdict.to_sample_result().passed


# Each way of changing how the tests are judged, with what the verdict must say. On the
# executor before issue 10, CONFTEST_FORGERY, INTERNALS, OBFUSCATED_INTERNALS and
# LOG_FORGERY were all judged "passed" without fixing anything.
ATTACKS = {
    "CONFTEST_FORGERY_PATCH": ("patch_touches_tests", "left out: conftest.py; nothing else"),
    "PYTEST_INI_PATCH": ("patch_touches_tests",
                         "left out: pytest.ini; the rest of the patch resolves the issue"),
    "PYPROJECT_ADDOPTS_PATCH": ("patch_touches_tests",
                                "left out: pyproject.toml (pytest/tox section); the rest"),
    "SETUP_CFG_PATCH": ("patch_touches_tests", "left out: setup.cfg (pytest/tox section)"),
    "NEW_TEST_FILE_PATCH": ("patch_touches_tests", "left out: tests/test_more.py"),
    "INTERNALS_PATCH": ("rejected", "calc/__init__.py reaches into the test runner: it adds "
                                    "`_pytest`"),
    "OBFUSCATED_INTERNALS_PATCH": ("rejected", "tests/test_ops.py::test_mul (call) raised "
                                               "but its report says passed"),
    "LOG_FORGERY_PATCH": ("rejected", "the test log shows tests/test_ops.py::test_mul PASSED "
                                      "but pytest recorded FAILED"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_patch_cannot_change_how_it_is_judged(attack: str, calc_executor: LocalExecutor,
                                                calc_instance: Instance,
                                                sandbox: object) -> None:
    """Each attack next to the reference patch, judged by the same executor: the attack
    is a failure that names its cause, the reference still resolves."""
    status, says = ATTACKS[attack]
    verdict = calc_executor.evaluate(calc_instance, getattr(calc_repo, attack), sandbox)
    assert verdict.status == status, (verdict.detail, verdict.log_tail)
    assert says in verdict.detail
    assert not verdict.resolved and not verdict.to_sample_result().passed
    gold = calc_executor.evaluate(calc_instance, calc_repo.REFERENCE_PATCH, sandbox)
    assert gold.status == "passed", (gold.detail, gold.log_tail)


def test_fuzzy_patch_applies_through_the_harness_fallback(calc_executor: LocalExecutor,
                                                          calc_instance: Instance,
                                                          sandbox: object) -> None:
    verdict = calc_executor.evaluate(calc_instance, calc_repo.FUZZY_PATCH, sandbox)
    assert verdict.status == "passed", (verdict.detail, verdict.log_tail)


def test_hanging_tests_time_out(calc_mirror: tuple[Path, str], calc_instance: Instance,
                                calc_executor: LocalExecutor, sandbox: object) -> None:
    calc_executor.test_timeout_s = 8
    verdict = calc_executor.evaluate(calc_instance, calc_repo.HANGING_PATCH, sandbox)
    assert verdict.status == "timeout"
    assert not verdict.resolved


def test_missing_repository_is_an_infrastructure_verdict_not_an_exception(
        calc_executor: LocalExecutor, calc_instance: Instance, sandbox: object,
        tmp_path: Path) -> None:
    calc_executor.repos = RepoSource(mirror=tmp_path / "empty")
    calc_executor.envs.repos = calc_executor.repos
    verdict = calc_executor.evaluate(calc_instance, calc_repo.REFERENCE_PATCH, sandbox)
    assert verdict.status == "environment"  # routerx's failure, never scored
    assert "ROUTERX_SWEBENCH_MIRROR" in verdict.detail


def test_the_model_patch_cannot_write_outside_its_checkout(calc_executor: LocalExecutor,
                                                           calc_instance: Instance,
                                                           sandbox: object,
                                                           tmp_path: Path) -> None:
    """A patch whose tests try to write a file on the host: the sandbox refuses it, the
    tests fail, and the host file never appears."""
    target = tmp_path / "pwned.txt"
    escaping = calc_repo.REFERENCE_PATCH.replace(
        "+    return a * b",
        f"+    open({str(target)!r}, 'w').write('x')\n+    return a * b").replace(
        "@@ -7,4 +7,4 @@", "@@ -7,4 +7,5 @@")
    verdict = calc_executor.evaluate(calc_instance, escaping, sandbox)
    assert verdict.status == "failed"
    assert not target.exists()


def test_eval_script_resets_tests_then_runs_the_directives(calc_instance: Instance,
                                                           calc_spec: object,
                                                           tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_ops.py").write_text("orig")
    recording = tmp_path / "recording" / "outcomes.jsonl"
    script = eval_script(calc_instance, calc_spec, ["tests/test_ops.py"], tmp_path,
                         tmp_path / "test.diff", recording)
    lines = script.splitlines()
    assert lines[0] == "set -uo pipefail"
    assert lines.index("rm -rf -- tests/test_ops.py") < next(
        i for i, line in enumerate(lines) if line.startswith("git apply -v"))
    command = run_tests_command(calc_instance, calc_spec)
    assert command.endswith("pytest -rA -p no:cacheprovider tests/test_ops.py")
    # a pytest run loads the recorder (before any conftest), writing beside the checkout
    assert (f"pytest -rA -p no:cacheprovider -p routerx_swebench_report "
            f"--routerx-report={recording} tests/test_ops.py") in script
    other = type(calc_spec)(test_cmd="bin/test -C --verbose")
    assert "routerx" not in run_tests_command(calc_instance, other, recording)
    assert ">>>>> Start Test Output" in script and ">>>>> End Test Output" in script


@pytest.fixture(autouse=True)
def _restore_executor_timeout(calc_executor: LocalExecutor) -> None:
    calc_executor.test_timeout_s = 60


def test_an_instance_whose_reference_fails_here_is_not_judged(
        calc_executor: LocalExecutor, calc_mirror: tuple[Path, str], sandbox: object) -> None:
    """A failure says nothing about the model when the reference patch fails too: the
    verdict is routerx's (environment), for the reference and for any other patch."""
    broken = calc_repo.broken_env_instance(calc_mirror[1])
    gold = calc_executor.evaluate(broken, calc_repo.REFERENCE_PATCH, sandbox)
    assert gold.status == "environment"
    assert gold.detail.startswith("instance not judged here: the reference patch does not "
                                  "resolve here either; reference: failed (PASS_TO_PASS "
                                  "failing: tests/test_ops.py::test_absent)")
    wrong = calc_executor.evaluate(broken, calc_repo.WRONG_PATCH, sandbox)
    assert wrong.status == "environment"
    assert "this patch: failed (FAIL_TO_PASS failing: tests/test_ops.py::test_mul" in wrong.detail
    # the reference was judged once and its verdict kept
    assert len(list(calc_executor.references.root.glob("routerx-tests__calc-env-*.json"))) == 1
    # patches that are wrong whatever the environment keep their verdict
    assert calc_executor.evaluate(broken, calc_repo.GARBAGE_PATCH, sandbox).status \
        == "patch_failed"


def test_tests_needing_the_network_are_unsupported_offline(
        calc_executor: LocalExecutor, calc_mirror: tuple[Path, str], sandbox: object) -> None:
    offline = calc_repo.network_instance(calc_mirror[1])
    for patch in (calc_repo.REFERENCE_PATCH, calc_repo.WRONG_PATCH):
        verdict = calc_executor.evaluate(offline, patch, sandbox)
        assert verdict.status == "unsupported_offline", verdict.detail
        assert verdict.detail.startswith("instance not judged here: its tests need the "
                                         "network (")
        assert "Network is unreachable" in verdict.detail


def test_a_wrong_patch_on_a_sound_instance_stays_failed(calc_executor: LocalExecutor,
                                                        calc_instance: Instance,
                                                        sandbox: object) -> None:
    """The reference resolves here, so the failure is the model's."""
    verdict = calc_executor.evaluate(calc_instance, calc_repo.WRONG_PATCH, sandbox)
    assert verdict.status == "failed"
    entries = list(calc_executor.references.root.glob("routerx-tests__calc-1-*.json"))
    assert len(entries) == 1 and '"status": "passed"' in entries[0].read_text()


REAL_INSTANCE = "sympy__sympy-14774"


def test_a_real_lite_gold_patch_resolves(lite_instances: list, tmp_path: Path,
                                         sandbox: object) -> None:
    """One real instance end to end, with an environment scripts/swebench_gold.py built
    (tests never install packages); skips when the mirror or that environment is absent."""
    from benchmarks.swebench.environment import READY, EnvironmentCache, resolve_spec
    from benchmarks.swebench.qualify import ReferenceCache
    from tests.conftest import shared_path

    instance = next(i for i in lite_instances if i.instance_id == REAL_INSTANCE)
    tar = shared_path("swebench", "mirrors", "sympy__sympy.git.tar")
    mirror = tmp_path / "mirrors"
    mirror.mkdir()
    subprocess.run(["tar", "xf", str(tar), "-C", str(mirror)], check=True)
    repos = RepoSource(mirror=mirror)
    envs = EnvironmentCache(Path.home() / ".cache" / "routerx" / "swebench" / "envs", repos)
    spec = resolve_spec(instance)
    if not (envs.root / envs.key(instance, spec) / READY).is_file():
        pytest.skip(f"no environment for {REAL_INSTANCE}: run scripts/swebench_gold.py "
                    "--repos sympy --per-repo 1")
    executor = LocalExecutor(repos, envs, workspace=tmp_path / "work",
                             references=ReferenceCache(tmp_path / "references"))
    gold = executor.evaluate(instance, instance.patch, sandbox)
    assert gold.status == "passed", (gold.detail, gold.log_tail)
    assert set(gold.tests["FAIL_TO_PASS"]["success"]) == set(instance.fail_to_pass)
