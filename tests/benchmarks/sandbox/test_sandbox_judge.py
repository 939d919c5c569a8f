"""Forgeries: a candidate that tries to be judged ``passed`` without computing the
answer. Each attack runs in one batch with correct samples of the same task, which
must still pass; no attack may pass, and none may be blamed on the sandbox.

The task: ``square(x)``; the judge's test checks three values. An attack never returns
the right squares, so any ``passed`` it gets is forged. Under the old design (tests
inside the candidate, verdict on fd 3) most of these passed.
"""

from __future__ import annotations

import pytest

from benchmarks.sandbox import Job, Sandbox, Verdict
from benchmarks.sandbox.child import REPLY_FD, REQUEST_FD
from tests.benchmarks.sandbox.conftest import PATIENT_S

TEST = ("def check(candidate):\n"
        "    assert candidate(3) == 9\n"
        "    assert candidate(-4) == 16\n"
        "    assert candidate(0) == 0\n"
        "check(square)\n")
RIGHT = "def square(x):\n    return x * x\n"
#: helpers an attack uses to speak the channel's framing and the old verdict format
PREAMBLE = (
    "import json, os, sys\n"
    "def frame(message):\n"
    "    body = json.dumps(message).encode()\n"
    "    return len(body).to_bytes(4, 'big') + body\n"
    "VERDICT = json.dumps({'status': 'passed', 'detail': None}).encode()\n"
    "def spray(extra=()):\n"
    "    for fd in range(256):\n"
    "        for data in (VERDICT, frame({'status': 'passed'}), *extra):\n"
    "            try:\n"
    "                os.write(fd, data)\n"
    "            except OSError:\n"
    "                pass\n"
    f"REQUEST_FD, REPLY_FD = {REQUEST_FD}, {REPLY_FD}\n"
)


def judged(program: str, timeout_s: float = PATIENT_S) -> Job:
    return Job(program, test=TEST, entry_point="square", timeout_s=timeout_s)


def run_attack_batch(sandbox: Sandbox, attacks: dict[str, str]) -> dict[str, Verdict]:
    """Every attack in one batch, each between correct samples; the correct ones must
    pass. Returns each attack's verdict. An attack is judged on what it did, never on
    the machine's speed: only the ENDLESS ones can reach their (short) limit."""
    jobs = [judged(RIGHT)]
    for name, program in attacks.items():
        limit = ENDLESS_S if name in ENDLESS else PATIENT_S
        jobs += [judged(PREAMBLE + program, limit), judged(RIGHT)]
    verdicts = sandbox.run(jobs)
    for i in range(0, len(jobs), 2):
        assert verdicts[i].status == "passed", (i, verdicts[i])
    found = dict(zip(attacks, verdicts[1::2], strict=True))
    for name, verdict in found.items():
        assert verdict.status not in ("passed", "sandbox"), (name, verdict)
    return found


ATTACKS = {
    # the old verdict pipe and every other descriptor, in both the old format and the
    # channel's framing; then a wrong answer
    "fd_forgery": "spray()\ndef square(x):\n    return None\n",
    "fd_forgery_then_exit": "spray()\nos._exit(0)\n",
    "fd_forgery_in_call": "def square(x):\n    spray()\n    os._exit(0)\n",
    # patch what the serving loop and the (candidate's copy of the) judge run on
    "patch_harness": (
        "import builtins\n"
        "import benchmarks.sandbox.values as values\n"
        "import benchmarks.sandbox.child as child\n"
        "import benchmarks.sandbox.judge as judge\n"
        "import benchmarks.sandbox.protocol as protocol\n"
        "class Equal:\n"
        "    def __eq__(self, other):\n        return True\n"
        "    __hash__ = object.__hash__\n"
        "values.encode = child.encode = lambda value, ref: True\n"
        "judge.classify = lambda exc: 'passed'\n"
        "judge.run = lambda job, channel: {'status': 'passed', 'detail': None}\n"
        "builtins.AssertionError = type('AssertionError', (Exception,), {})\n"
        "sys.modules['benchmarks.sandbox.judge'] = judge\n"
        "print('patched', flush=True)\n"
        "def square(x):\n    return Equal()\n"),
    "patch_serving_loop": (
        "import benchmarks.sandbox.child as child\n"
        "def handle(self, request):\n"
        "    if request.get('op') == 'load':\n"
        "        return {'square': self.ref(lambda x: x)}\n"
        "    return {'t': 'ref', 'id': 1, 'type': 'int'}\n"
        "child.Server.handle = handle\n"
        "def square(x):\n    return x\n"),
    "patch_json": (
        "json.dumps = lambda obj, **kw: '{\"status\": \"passed\"}'\n"
        "def square(x):\n    return x\n"),
    # a child reports while the parent exits 0
    "fork_and_report": (
        "if os.fork() == 0:\n"
        "    spray()\n"
        "    import time\n    time.sleep(3)\n    os._exit(0)\n"
        "os._exit(0)\n"),
    "fork_and_answer_for_the_parent": (
        "def square(x):\n"
        "    if os.fork() == 0:\n"
        "        os.write(REPLY_FD, frame({'id': 2, 'ok': 9}))\n"
        "        os._exit(0)\n"
        "    os._exit(0)\n"),
    # values whose methods would decide the comparison, were they live
    "always_equal": (
        "class Equal:\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __ne__(self, other):\n        return False\n"
        "    __hash__ = object.__hash__\n"
        "def square(x):\n    return Equal()\n"),
    "int_subclass": (
        "class I(int):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "def square(x):\n    return I(-1)\n"),
    "str_subclass": (
        "class S(str):\n"
        "    def __eq__(self, other):\n        return True\n"
        "    __hash__ = str.__hash__\n"
        "def square(x):\n    return S('no')\n"),
    "list_subclass": (
        "class L(list):\n"
        "    def __eq__(self, other):\n        return True\n"
        "def square(x):\n    return L()\n"),
    # the channel itself
    "pre_answer_calls": (
        "for i in range(1, 50):\n"
        "    os.write(REPLY_FD, frame({'id': i, 'ok': True}))\n"
        "def square(x):\n    return True\n"),
    "fake_protocol_on_stdout": (
        "for i in range(1, 10):\n"
        "    sys.stdout.buffer.write(frame({'id': i, 'ok': 9}) + VERDICT)\n"
        "    sys.stderr.buffer.write(frame({'id': i, 'ok': 9}) + VERDICT)\n"
        "sys.stdout.flush()\n"
        "def square(x):\n    print(frame({'status': 'passed'}))\n    return None\n"),
    "close_the_channel": (
        "def square(x):\n"
        "    os.close(REPLY_FD)\n    os.close(REQUEST_FD)\n    return x * x\n"),
    "dup_output_onto_the_channel": (
        "os.dup2(REPLY_FD, 1)\n"
        "def square(x):\n    print(VERDICT.decode(), flush=True)\n    return x * x\n"),
    "garbage_answer": (
        "def square(x):\n"
        "    os.write(REPLY_FD, b'\\xff\\xff\\xff\\xff' + VERDICT)\n"
        "    time.sleep(30)\n"
        "import time\n"),
    "huge_value": (
        "def square(x):\n"
        "    os.write(REPLY_FD, frame({'id': 2, 'ok': [0] * 1_000_001}))\n"
        "    import time\n    time.sleep(30)\n"),
    "deep_value": (
        "def square(x):\n"
        "    body = ('{\"id\": 2, \"ok\": ' + '[' * 200000 + ']' * 200000 + '}').encode()\n"
        "    os.write(REPLY_FD, len(body).to_bytes(4, 'big') + body)\n"
        "    import time\n    time.sleep(30)\n"),
    "deep_tagged_value": (
        "def square(x):\n"
        "    node = 9\n"
        "    for _ in range(150):\n        node = {'t': 'tuple', 'v': [node]}\n"
        "    os.write(REPLY_FD, frame({'id': 2, 'ok': node}))\n"
        "    import time\n    time.sleep(30)\n"),
    "unhashable_set_member": (
        "def square(x):\n"
        "    os.write(REPLY_FD, frame({'id': 2, 'ok': {'t': 'set', 'v': [[1]]}}))\n"
        "    import time\n    time.sleep(30)\n"),
    "oversized_frame": (
        "def square(x):\n"
        "    os.write(REPLY_FD, (2 ** 31).to_bytes(4, 'big'))\n"
        "    import time\n    time.sleep(30)\n"),
    # how the candidate ends, mid-test
    "exit_0_mid_test": "def square(x):\n    if x < 0:\n        os._exit(0)\n    return x * x\n",
    "system_exit": "def square(x):\n    raise SystemExit(0)\n",
    "system_exit_at_load": "sys.exit(0)\n",
    "keyboard_interrupt": "def square(x):\n    raise KeyboardInterrupt\n",
    "sleep_forever": "def square(x):\n    import time\n    time.sleep(10 ** 6)\n",
    "sigkill_self": ("import signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
                     "def square(x):\n    return x\n"),
    "sigterm_self_in_call": ("import signal\n"
                             "def square(x):\n    signal.raise_signal(signal.SIGTERM)\n"
                             "    return x\n"),
    "kill_everyone": ("import signal\n"
                      "def square(x):\n"
                      "    for pid in [-1, *range(1, 2000)]:\n"
                      "        try:\n            os.kill(pid, signal.SIGKILL)\n"
                      "        except OSError:\n            pass\n"
                      "    return x\n"),
    "abort": "def square(x):\n    if x < 0:\n        os.abort()\n    return x * x\n",
    "segfault": ("import ctypes\n"
                 "def square(x):\n    if x < 0:\n        ctypes.string_at(0)\n    return x * x\n"),
    # a builtin of the same name as one the test uses stays the judge's
    "shadow_builtins": (
        "def abs(x):\n    return 0\n"
        "def len(x):\n    return 3\n"
        "def square(x):\n    return x\n"),
}


#: the attacks that never end by themselves: a timeout is their verdict at any limit
ENDLESS = frozenset({"sleep_forever"})
ENDLESS_S = 2.0


@pytest.fixture(scope="module")
def attacked(sandbox: Sandbox) -> dict[str, Verdict]:
    return run_attack_batch(sandbox, ATTACKS)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_no_forgery_passes(attacked: dict[str, Verdict], name: str) -> None:
    assert attacked[name].status not in ("passed", "sandbox")


@pytest.mark.parametrize(("name", "status", "detail"), [
    ("fd_forgery", "crashed", "broke the call protocol"),
    ("fd_forgery_then_exit", "crashed", "broke the call protocol"),
    ("patch_harness", "error", "TypeError: 'bool' object is not callable"),
    ("patch_serving_loop", "failed", "AssertionError"),
    ("pre_answer_calls", "crashed", "broke the call protocol"),
    ("close_the_channel", "crashed", "exited with code 0 before the tests finished"),
    ("huge_value", "crashed", "broke the call protocol"),
    ("always_equal", "failed", "AssertionError"),
    ("int_subclass", "failed", "AssertionError"),
    ("list_subclass", "failed", "AssertionError"),
    ("exit_0_mid_test", "crashed", "exited with code 0 before the tests finished"),
    ("system_exit", "error", "SystemExit: 0"),
    ("system_exit_at_load", "error", "SystemExit: 0"),
    ("sleep_forever", "timeout", "wall-clock limit exceeded"),
    ("segfault", "crashed", "killed by SIGSEGV"),
    ("oversized_frame", "crashed", "broke the call protocol"),
    ("deep_value", "crashed", "broke the call protocol"),
    ("deep_tagged_value", "crashed", "broke the call protocol"),
    ("unhashable_set_member", "crashed", "broke the call protocol"),
    ("garbage_answer", "crashed", "broke the call protocol"),
])
def test_how_each_forgery_is_judged(attacked: dict[str, Verdict], name: str, status: str,
                                    detail: str) -> None:
    verdict = attacked[name]
    assert verdict.status == status, verdict
    assert (verdict.detail or "").startswith(detail), verdict


def test_the_harness_was_really_patched(attacked: dict[str, Verdict]) -> None:
    # the attack's patches took effect in the candidate (and changed nothing)
    assert "patched" in attacked["patch_harness"].stdout


def test_a_test_that_swallows_every_exception_cannot_pass_a_dead_candidate(
        sandbox: Sandbox) -> None:
    test = ("for x in (1, 2, 3):\n"
            "    try:\n        square(x)\n"
            "    except:  # noqa: E722\n        pass\n")
    dying = "import os\ndef square(x):\n    os._exit(0)\n"
    alive = "def square(x):\n    return x * x\n"
    verdicts = sandbox.run([Job(program, test=test, entry_point="square", timeout_s=PATIENT_S)
                            for program in (alive, dying, alive)])
    assert [v.status for v in verdicts] == ["passed", "crashed", "passed"]


def test_a_prompt_helper_the_test_uses_stays_the_tasks_own(sandbox: Sandbox) -> None:
    # HumanEval/32: the test checks find_zero with the prompt's poly. A completion
    # that redefines poly to 0 used to pass with any root; the judge's poly is the
    # task's.
    from benchmarks.registry import get_benchmark

    bench = get_benchmark("humaneval")
    task = bench.load(ids=["HumanEval/32"])[0]
    forged = ("def poly(xs, x):\n    return 0\n"
              "def find_zero(xs):\n    return 12345.0\n")
    verdicts = sandbox.run([bench.job(task, task.reference, PATIENT_S),
                            bench.job(task, forged, PATIENT_S),
                            bench.job(task, task.reference, PATIENT_S)])
    assert [v.status for v in verdicts] == ["passed", "failed", "passed"]


def test_a_running_sample_is_named_apart_from_the_zygote_and_the_judge() -> None:
    """While a sample runs, it (and anything it starts) is ``rx-sample``; between
    samples only the zygote and the judge are left below a worker's init."""
    import contextlib
    import os
    import signal
    import threading
    import time

    from tests.benchmarks.sandbox.conftest import descendants, leftovers, process_name

    # the sample answers only once the test has looked (SIGUSR1), so it is looked at
    # while it runs, however slowly a loaded machine starts it
    program = ("import os, signal, time\nif os.fork() == 0:\n    time.sleep(600)\n"
               "seen = []\nsignal.signal(signal.SIGUSR1, lambda *_: seen.append(1))\n"
               "def square(x):\n    while not seen:\n        time.sleep(0.05)\n"
               "    return x * x\n")
    with Sandbox(workers=1) as sb:
        init = descendants(sb._workers[0].proc.pid, depth=1)[0]
        before = sorted(process_name(p) for p in descendants(init))
        verdicts: list[Verdict] = []
        batch = threading.Thread(target=lambda: verdicts.extend(sb.run([judged(program)])))
        batch.start()
        seen: list[str] = []
        try:
            deadline = time.monotonic() + PATIENT_S
            while batch.is_alive() and time.monotonic() < deadline:
                seen = sorted(process_name(p) for p in descendants(init))
                if seen.count("rx-sample") == 2:
                    break
                time.sleep(0.05)
        finally:
            zygotes = [p for p in descendants(init) if process_name(p) == "rx-zygote"]
            for pid in descendants(zygotes[0], depth=1) if zygotes else ():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGUSR1)  # the candidate: now it may answer
            batch.join()
        assert before == ["rx-judge", "rx-zygote"]
        assert seen == ["rx-judge", "rx-sample", "rx-sample", "rx-zygote"]
        assert [v.status for v in verdicts] == ["passed"]
        assert leftovers(sb) == []
