"""The local executor: SWE-bench without Docker.

Per instance and model patch, as the harness's container run does, but with the
container replaced by the sandbox (``benchmarks.sandbox``):

0. on the host, the model's patch is screened (``guard``): hunks that change test
   infrastructure are left out (the verdict becomes ``patch_touches_tests``), and source
   that reaches into pytest's internals is ``rejected`` without running anything;
1. export the repository at ``base_commit`` into a scratch directory (no ``.git``),
   apply the recipe's repository edits and copy the environment's build products;
2. in the sandbox, apply the rest of the patch with the harness's own fallback chain
   (``git apply``, ``git apply --reject``, ``patch --fuzz=5``); if none applies the
   verdict is ``patch_failed``;
3. in the sandbox, one eval script: reset the files the test patch touches to
   ``base_commit`` (a model may not edit the tests that judge it), apply the test
   patch, and run the recipe's test command on the test patch's files between the
   harness's start/end markers, with the prepared venv first on PATH and the checkout
   first on PYTHONPATH; a pytest run also loads routerx's outcome recorder
   (``report_plugin``), which writes beside the checkout, not in it;
4. on the host, the swebench log parser and grading turn the log into the
   FAIL_TO_PASS / PASS_TO_PASS report; resolved (all of them pass) is ``passed``, unless
   the log claims a pass pytest did not record (``outcomes``): then ``rejected``.

The model's patch and the tests it affects run only in the sandbox: no network, the
venv and the interpreter visible read-only, the run directory (checkout and recording)
the only writable tree. Model verdicts: passed, failed, patch_failed,
patch_touches_tests, rejected, error (no test result at all: the patched code broke
the test run), and the sandbox's timeout, out_of_memory, crashed. Infrastructure
verdicts (``benchmarks.verdicts``, never scored): environment (a repository, checkout
or environment that could not be had, a test patch that does not apply, an instance
whose reference patch does not resolve here: ``qualify``), interpreter, unsupported (no
recipe, a conda recipe, no log parser), unsupported_offline (the reference fails here
because its tests need the network).
"""

from __future__ import annotations

import os
import shlex
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.registry import SampleResult
from benchmarks.swebench.environment import (
    EnvironmentCache,
    PreparedEnv,
    RepoSpec,
    apply_repo_edits,
    copy_build_products,
    import_roots,
    resolve_spec,
)
from benchmarks.swebench.grading import grade, parse_log
from benchmarks.swebench.guard import RUNNER_PACKAGES, Screened, screen
from benchmarks.swebench.instances import Instance
from benchmarks.swebench.outcomes import contradiction, read_recording, recorder_args, runs_pytest
from benchmarks.swebench.qualify import QUALIFIED, ReferenceCache, network_symptom, requalified
from benchmarks.swebench.repos import RepoSource
from router.errors import ConfigError

if TYPE_CHECKING:
    from benchmarks.sandbox.runner import SandboxRunner

TEST_TIMEOUT_S = 1800.0  # the harness's default per-instance timeout
PATCH_TIMEOUT_S = 120.0
TEST_PATCH_FAILED = ">>>>> Test Patch Apply Failed"
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class InstanceVerdict:
    """The outcome for one prediction. ``tests`` is swebench's report (FAIL_TO_PASS /
    PASS_TO_PASS success and failure lists) when the tests ran."""

    instance_id: str
    status: str
    detail: str = ""
    duration_s: float | None = None
    tests: dict[str, Any] = field(default_factory=dict)
    log_tail: str = ""
    dropped: tuple[str, ...] = ()
    network: str = ""  # the first log line showing the network out of reach

    @property
    def resolved(self) -> bool:
        return self.status == "passed"

    def to_sample_result(self) -> SampleResult:
        return SampleResult(status=self.status, passed=self.resolved, detail=self.detail,
                            duration_s=self.duration_s)


def git_apply_commands() -> list[list[str]]:
    """The harness's patch-application fallback chain, from the swebench package."""
    from swebench.harness.run_evaluation import GIT_APPLY_CMDS

    return [shlex.split(c) for c in GIT_APPLY_CMDS]


def run_tests_command(instance: Instance, spec: RepoSpec, recording: Path | None = None) -> str:
    """The recipe's test command on the test patch's files (swebench's directives); with
    ``recording``, a pytest command also loads the outcome recorder writing there."""
    from swebench.harness.test_spec.python import get_test_directives

    directives = get_test_directives(instance.to_record())
    extra = recorder_args(recording) if recording and runs_pytest(spec.test_cmd) else []
    return " ".join([spec.test_cmd, *(shlex.quote(a) for a in [*extra, *directives])])


def eval_script(instance: Instance, spec: RepoSpec, test_files: list[str], orig_dir: Path,
                test_patch: Path, recording: Path | None = None) -> str:
    """The sandboxed half of the harness's eval.sh (no conda, no git history)."""
    from swebench.harness.constants import END_TEST_OUTPUT, START_TEST_OUTPUT

    lines = ["set -uo pipefail", *spec.exports]
    for rel in test_files:
        quoted, original = shlex.quote(rel), orig_dir / rel
        lines.append(f"rm -rf -- {quoted}")
        if original.is_file():
            lines.append(f"mkdir -p -- \"$(dirname -- {quoted})\" && "
                         f"cp -- {shlex.quote(str(original))} {quoted}")
    lines += [
        f"git apply -v {shlex.quote(str(test_patch))} || "
        f"{{ echo {shlex.quote(TEST_PATCH_FAILED)}; exit 3; }}",
        f"echo {shlex.quote(START_TEST_OUTPUT)}",
        run_tests_command(instance, spec, recording),
        f"echo {shlex.quote(END_TEST_OUTPUT)}",
    ]
    return "\n".join(lines) + "\n"


def _infrastructure(iid: str, exc: ConfigError, stage: str = "") -> InstanceVerdict:
    """routerx's own failure (a missing repository or interpreter, an environment that
    would not build, an instance it cannot run): an infrastructure outcome, never scored."""
    status = str(getattr(exc, "status", "environment"))
    return InstanceVerdict(iid, status, f"{stage}: {exc}" if stage else str(exc))


def _touches_tests(screened: Screened, rest: InstanceVerdict) -> InstanceVerdict:
    """The verdict of a patch whose test infrastructure was left out: a failure of the
    model whatever the rest did (``rejected`` stays ``rejected``), saying what the rest
    did so that a reader sees whether the fix itself was right."""
    if rest.status == "rejected":
        return InstanceVerdict(**{**rest.__dict__, "dropped": screened.dropped})
    if not screened.patch.strip():
        outcome = "nothing else in the patch"
    elif rest.status == "passed":
        outcome = "the rest of the patch resolves the issue"
    else:
        outcome = f"the rest of the patch: {rest.status}" + (f" ({rest.detail})"
                                                             if rest.detail else "")
    detail = ("the patch changes test infrastructure, left out: "
              f"{', '.join(screened.dropped)}; {outcome}")
    return InstanceVerdict(rest.instance_id, "patch_touches_tests", detail, rest.duration_s,
                           rest.tests, rest.log_tail, screened.dropped)


def _tail(text: str, n: int = 2000) -> str:
    return text[-n:]


def _first_error(output: str) -> str:
    """The first complaint of ``git apply`` (what a user needs), not the whole chain."""
    for line in output.splitlines():
        if line.startswith(("error:", "fatal:", "patch:")):
            return line.strip()
    return _tail(output, 300).strip()


class LocalExecutor:
    """Evaluates predictions on this machine, in the sandbox (see the module docstring)."""

    def __init__(self, repos: RepoSource, envs: EnvironmentCache,
                 specs: Mapping[str, RepoSpec] | None = None, workspace: Path | None = None,
                 test_timeout_s: float = TEST_TIMEOUT_S,
                 patch_timeout_s: float = PATCH_TIMEOUT_S,
                 references: ReferenceCache | None = None) -> None:
        self.repos = repos
        self.envs = envs
        self.specs = dict(specs or {})
        self.workspace = workspace
        self.test_timeout_s = test_timeout_s
        self.patch_timeout_s = patch_timeout_s
        self.references = references or ReferenceCache(envs.root.parent / "references")

    def evaluate(self, instance: Instance, model_patch: str,
                 sandbox: SandboxRunner) -> InstanceVerdict:
        start = time.monotonic()
        verdict = self._evaluate(instance, model_patch, sandbox)
        if verdict.status in QUALIFIED:
            verdict = self._qualify(instance, model_patch, verdict, sandbox)
        return InstanceVerdict(**{**verdict.__dict__, "duration_s": time.monotonic() - start})

    def _qualify(self, instance: Instance, model_patch: str, verdict: InstanceVerdict,
                 sandbox: SandboxRunner) -> InstanceVerdict:
        """An instance whose reference patch fails here cannot fail a model (``qualify``)."""
        if not instance.patch.strip():
            return verdict
        if model_patch == instance.patch:
            reference = {"status": verdict.status, "detail": verdict.detail,
                         "network": verdict.network}
        else:
            key = self.envs.key(instance, resolve_spec(instance, self.specs))
            reference = self.references.get(
                instance, key, lambda: self._evaluate(instance, instance.patch, sandbox))
        return requalified(verdict, reference)

    def _evaluate(self, instance: Instance, model_patch: str,
                  sandbox: SandboxRunner) -> InstanceVerdict:
        iid = instance.instance_id
        if not model_patch.strip():
            return InstanceVerdict(iid, "patch_failed", "empty patch")
        try:
            spec = resolve_spec(instance, self.specs)
            screened = self.screen(instance, spec, model_patch)
        except ConfigError as exc:
            return _infrastructure(iid, exc)
        if screened.rejected:
            return InstanceVerdict(iid, "rejected", screened.rejected)
        if screened.touches_tests and not screened.patch.strip():
            return _touches_tests(screened, InstanceVerdict(iid, "patch_failed", ""))
        try:
            env = self.envs.prepare(instance, spec)
        except ConfigError as exc:
            return _infrastructure(iid, exc)
        if self.workspace is not None:
            self.workspace.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="swebench-", dir=self.workspace) as tmp:
            scratch = Path(tmp)
            try:
                checkout, files, test_files = self._stage(instance, spec, env, scratch,
                                                          screened.patch)
            except ConfigError as exc:
                return _infrastructure(iid, exc, "checkout")
            recording = checkout.parent / "recording" / "outcomes.jsonl"
            recording.parent.mkdir()
            recording.touch()
            run = _Runner(sandbox, checkout, env, spec, scratch, files)
            applied, output = run.apply_model_patch(files / "model.diff", self.patch_timeout_s)
            if applied:
                script = eval_script(instance, spec, test_files, files / "orig",
                                     files / "test.diff", recording)
                result = run.command(["bash", "-c", script], self.test_timeout_s)
                verdict = self._judge(instance, spec, result, recording)
            else:
                verdict = InstanceVerdict(iid, "patch_failed",
                                          "the patch does not apply: " + _first_error(output),
                                          log_tail=_tail(output))
        return _touches_tests(screened, verdict) if screened.touches_tests else verdict

    def screen(self, instance: Instance, spec: RepoSpec, model_patch: str) -> Screened:
        """The model's patch without its test infrastructure (see ``guard``)."""
        from swebench.harness.utils import get_modified_files

        repo, base = instance.repo, instance.base_commit
        owns_runner = any(self.repos.has_path(repo, base, f"{prefix}{name}")
                          for name in RUNNER_PACKAGES for prefix in ("", "src/"))
        return screen(model_patch, test_files=get_modified_files(instance.test_patch),
                      test_cmd=spec.test_cmd,
                      reference_files=get_modified_files(instance.patch) if instance.patch
                      else (),
                      original=lambda path: self.repos.read_file(repo, base, path),
                      owns_runner=owns_runner)

    def _stage(self, instance: Instance, spec: RepoSpec, env: PreparedEnv, scratch: Path,
               model_patch: str) -> tuple[Path, Path, list[str]]:
        """Checkout, patches and pristine test files, written on the host before any
        sandboxed step (the checkout is pristine here, so host writes are safe). The
        checkout lies in ``run/``, the sandbox's writable tree, beside the recording."""
        from swebench.harness.utils import get_modified_files

        checkout = scratch / "run" / "repo"
        self.repos.export(instance.repo, instance.base_commit, checkout,
                          index=scratch / "index")
        apply_repo_edits(spec, checkout)
        copy_build_products(env, checkout)
        files = scratch / "files"
        (files / "orig").mkdir(parents=True)
        (files / "model.diff").write_text(model_patch, encoding="utf-8")
        (files / "test.diff").write_text(instance.test_patch, encoding="utf-8")
        test_files = get_modified_files(instance.test_patch)
        for rel in test_files:
            text = self.repos.read_file(instance.repo, instance.base_commit, rel)
            if text is not None:
                target = files / "orig" / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        return checkout, files, test_files

    @staticmethod
    def _judge(instance: Instance, spec: RepoSpec, result: Any,
               recording: Path | None = None) -> InstanceVerdict:
        iid, output = instance.instance_id, str(result.output or "")
        if result.status != "ok":
            return InstanceVerdict(iid, str(result.status),
                                   f"test run ended with {result.status}", log_tail=_tail(output))
        if TEST_PATCH_FAILED in output:
            # the model cannot touch the test files (guard), so this is the data's fault
            return InstanceVerdict(iid, "environment", "the test patch does not apply to "
                                   "the checkout", log_tail=_tail(output))
        try:
            status_map = parse_log(instance, output, spec.parser)
        except KeyError as exc:
            return InstanceVerdict(iid, "unsupported", str(exc.args[0]), log_tail=_tail(output))
        network = network_symptom(output)
        if not status_map:
            return InstanceVerdict(iid, "error", "no test results in the log (exit "
                                   f"{result.returncode}): " + _tail(output, 300).strip(),
                                   log_tail=_tail(output), network=network)
        if recording is not None and runs_pytest(spec.test_cmd):
            reason = contradiction(read_recording(recording, output), status_map,
                                   lambda text: parse_log(instance, text, spec.parser),
                                   [*instance.fail_to_pass, *instance.pass_to_pass])
            if reason:
                return InstanceVerdict(iid, "rejected", reason, log_tail=_tail(output))
        graded = grade(instance, status_map)
        if graded.resolved:
            return InstanceVerdict(iid, "passed", tests=graded.report, log_tail=_tail(output))
        failing = graded.failing()
        detail = "; ".join(f"{k} failing: {', '.join(v[:5])}"
                           + (f" (+{len(v) - 5} more)" if len(v) > 5 else "")
                           for k, v in failing.items())
        return InstanceVerdict(iid, "failed", detail, tests=graded.report, log_tail=_tail(output),
                               network=network)


class _Runner:
    """Builds the sandbox jobs of one evaluation (same mounts and environment each time)."""

    def __init__(self, sandbox: SandboxRunner, checkout: Path, env: PreparedEnv, spec: RepoSpec,
                 scratch: Path, files: Path) -> None:
        self.sandbox = sandbox
        self.checkout = checkout
        self.workdir = checkout.parent
        self.readonly = [*env.readonly_paths, files]
        self.env = {
            "PATH": f"{env.bin}{os.pathsep}{BASE_PATH}",
            "VIRTUAL_ENV": str(env.venv),
            "PYTHONPATH": os.pathsep.join(str(p) for p in import_roots(spec, checkout)),
            # the checkout has no .git: keep git from finding a repository above it
            "GIT_CEILING_DIRECTORIES": str(scratch),
        }

    def command(self, argv: list[str], timeout_s: float) -> Any:
        from benchmarks.sandbox import CommandJob

        # the writable tree is the run directory; commands start in the checkout
        in_checkout = ["bash", "-c", 'cd -- "$1" || exit 125; shift; exec "$@"', "cd",
                       str(self.checkout), *argv]
        job = CommandJob(argv=in_checkout, workdir=self.workdir,
                         readonly_paths=self.readonly, env=self.env, timeout_s=timeout_s)
        return self.sandbox.run_command(job)

    def apply_model_patch(self, patch: Path, timeout_s: float) -> tuple[bool, str]:
        outputs = []
        for argv in git_apply_commands():
            result = self.command([*argv, str(patch)], timeout_s)
            if result.status == "ok" and result.returncode == 0:
                return True, str(result.output or "")
            outputs.append(f"$ {shlex.join(argv)}\n{result.output or result.status}")
        return False, "\n".join(outputs)
