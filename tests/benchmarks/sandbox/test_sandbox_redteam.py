"""Red team: a hostile model's completions, through the suites' real jobs (HumanEval's
prompt, test and ``check``; MBPP's imports, set-up code and asserts), each in a batch
with the task's reference solution, which must still pass.

Three tables: forgeries (a completion that never computes the answer must not be
judged ``passed``, nor blamed on the sandbox), interference (a sample that attacks its
neighbours or leaves something behind for the next sample of its worker) and honest but
unusual solutions (which must pass: false negatives hurt the honest model). The
forgeries that passed before their fix say so in a comment.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.mbpp import MBPP, to_task
from benchmarks.registry import Task, get_benchmark
from benchmarks.sandbox import Job, Sandbox, Verdict
from benchmarks.sandbox.values import decode_exception
from tests.benchmarks.sandbox.conftest import PATIENT_S

HUMANEVAL = get_benchmark("humaneval")
_TASKS: dict[str, Task] = {}
#: an attack's limit: none computes the answer, so none can pass at any limit (a
#: timeout is as good a verdict as any other here), and a short one keeps the batch
#: short; the references beside them get PATIENT_S, so they pass however loaded the
#: machine
ATTACK_S = 5.0


def humaneval_task(task_id: str) -> Task:
    if not _TASKS:
        _TASKS.update((t.task_id, t) for t in HUMANEVAL.load())
    return _TASKS[task_id]


#: frames on the call channel, for attacks that speak it themselves
CHANNEL = (
    "import json as _json, os as _os\n"
    "def _frame(message):\n"
    "    body = _json.dumps(message).encode()\n"
    "    return len(body).to_bytes(4, 'big') + body\n"
)
CLOSE = "def has_close_elements(numbers, threshold):\n"
TRUNC = "def truncate_number(number):\n"
THIRD = "def sort_third(l):\n"

#: name -> (HumanEval task, completion); none of them computes the answer
HUMANEVAL_FORGERIES: dict[str, tuple[str, str]] = {
    # names the test uses
    "shadow_check": ("HumanEval/0", "def check(candidate):\n    return None\n"
                     + CLOSE + "    return True\n"),
    "shadow_candidate": ("HumanEval/0", "candidate = lambda *a: True\n"
                         + CLOSE + "    return candidate()\n"),
    "shadow_prompt_helper": ("HumanEval/38", "def encode_cyclic(s):\n    return s\n"
                             "def decode_cyclic(s):\n    return s\n"),
    "shadow_poly_and_math": ("HumanEval/32", "import types\n"
                             "math = types.ModuleType('math')\nmath.fabs = lambda x: 0.0\n"
                             "def poly(xs, x):\n    return 0\n"
                             "def find_zero(xs):\n    return 7.0\n"),
    "shadow_builtins_module": ("HumanEval/2", "import builtins, math\n"
                               "builtins.abs = lambda x: 0\n"
                               "builtins.AssertionError = type('AssertionError', "
                               "(Exception,), {})\n"
                               "math.isclose = lambda *a, **k: True\n"
                               + TRUNC + "    return 0.0\n"),
    "shadow_builtin_names": ("HumanEval/2", "abs = lambda x: 0\nround = lambda *a: 0\n"
                             "isinstance = lambda *a: True\nAssertionError = Exception\n"
                             + TRUNC + "    return 0.0\n"),
    "entry_point_deleted": ("HumanEval/0", "    return True\ndel has_close_elements\n"),
    "entry_point_is_a_module": ("HumanEval/0", "import types\nhas_close_elements = "
                                "types.ModuleType('email.has_close_elements')\n"),
    # subclasses of every builtin whose methods say "equal"
    "float_subclass": ("HumanEval/2", "class F(float):\n"
                       "    def __eq__(s, o): return True\n"
                       "    def __sub__(s, o): return 0.0\n    __rsub__ = __sub__\n"
                       "    def __lt__(s, o): return True\n"
                       "    def __abs__(s): return 0.0\n"
                       "    __hash__ = float.__hash__\n" + TRUNC + "    return F(9.5)\n"),
    "bool_like_int": ("HumanEval/0", "class B(int):\n    def __eq__(s, o): return True\n"
                      "    def __bool__(s): return True\n    __hash__ = int.__hash__\n"
                      + CLOSE + "    return B(7)\n"),
    "tuple_subclass": ("HumanEval/33", "class T(tuple):\n    def __eq__(s, o): return True\n"
                       "    def __iter__(s): return iter(())\n    __hash__ = tuple.__hash__\n"
                       + THIRD + "    return T((99,))\n"),
    "namedtuple": ("HumanEval/33", "import collections\n"
                   "P = collections.namedtuple('P', 'a')\n"
                   "class Q(P):\n    def __eq__(s, o): return True\n    __hash__ = tuple.__hash__\n"
                   + THIRD + "    return Q(99)\n"),
    "dict_set_frozenset_bytes": ("HumanEval/33", "class D(dict):\n"
                                 "    def __eq__(s, o): return True\n"
                                 "class S(set):\n    def __eq__(s, o): return True\n"
                                 "class FS(frozenset):\n    def __eq__(s, o): return True\n"
                                 "    __hash__ = frozenset.__hash__\n"
                                 "class By(bytes):\n    def __eq__(s, o): return True\n"
                                 "    __hash__ = bytes.__hash__\n"
                                 + THIRD + "    return [D(), S(), FS(), By()][len(l) % 4]\n"),
    "complex_decimal_fraction": ("HumanEval/2", "import decimal, fractions\n"
                                 "class C(complex):\n    def __eq__(s, o): return True\n"
                                 "class De(decimal.Decimal):\n"
                                 "    def __eq__(s, o): return True\n"
                                 "    def __sub__(s, o): return 0\n"
                                 "class Fr(fractions.Fraction):\n"
                                 "    def __eq__(s, o): return True\n"
                                 "    def __sub__(s, o): return 0\n"
                                 + TRUNC + "    return [C(1), De(9), Fr(9)][int(number) % 3]\n"),
    "int_enum": ("HumanEval/0", "import enum\nclass E(enum.IntEnum):\n    A = 5\n"
                 "    def __eq__(s, o): return True\n    __hash__ = int.__hash__\n"
                 + CLOSE + "    return E.A\n"),
    "plain_enum": ("HumanEval/0", "import enum\nclass E(enum.Enum):\n    A = True\n"
                   "    def __eq__(s, o): return True\n    __hash__ = object.__hash__\n"
                   + CLOSE + "    return E.A\n"),
    "class_property_spoof": ("HumanEval/0", "class T:\n"
                             "    __class__ = property(lambda s: bool)\n"
                             "    def __eq__(s, o): return True\n    __hash__ = object.__hash__\n"
                             + CLOSE + "    return T()\n"),
    "instancecheck_metaclass": ("HumanEval/0", "class M(type):\n"
                                "    def __instancecheck__(c, o): return True\n"
                                "    def __subclasscheck__(c, o): return True\n"
                                "class T(metaclass=M):\n    def __eq__(s, o): return True\n"
                                "    __hash__ = object.__hash__\n"
                                + CLOSE + "    return T()\n"),
    "reduce_to_true": ("HumanEval/0", "class T:\n"
                       "    def __reduce__(s): return (bool, (1,))\n"
                       "    def __eq__(s, o): return True\n    __hash__ = object.__hash__\n"
                       + CLOSE + "    return T()\n"),
    "index_float_hooks": ("HumanEval/2", "class T:\n    def __index__(s): return 0\n"
                          "    def __float__(s): return 0.5\n    def __len__(s): return 0\n"
                          "    def __iter__(s): return iter(())\n"
                          "    def __eq__(s, o): return True\n    __hash__ = object.__hash__\n"
                          + TRUNC + "    return T()\n"),
    "lying_mapping": ("HumanEval/111", "import collections.abc\n"
                      "class M(collections.abc.Mapping):\n"
                      "    def __getitem__(s, k): return 1\n"
                      "    def __iter__(s): return iter('abc')\n"
                      "    def __len__(s): return 99\n"
                      "    def keys(s): return ['anything']\n"
                      "    def __hash__(s): return 0\n"
                      "def histogram(test):\n    return M()\n"),
    "nan": ("HumanEval/2", TRUNC + "    return float('nan')\n"),
    "inf": ("HumanEval/2", TRUNC + "    return float('-inf')\n"),
    # iterators and generators
    "infinite_generator": ("HumanEval/33", THIRD + "    while True:\n        yield 0\n"),
    "generator_raising_late": ("HumanEval/33", THIRD + "    yield from l[:1]\n"
                               "    raise StopIteration\n"),
    "lying_iterator": ("HumanEval/33", "class It:\n    def __iter__(s): return iter([1, 2])\n"
                       "    def __next__(s): raise StopIteration\n"
                       "    def __eq__(s, o): return True\n    __hash__ = object.__hash__\n"
                       + THIRD + "    return It()\n"),
    # exceptions
    "hostile_exception": ("HumanEval/0", "class X(Exception):\n"
                          "    def __str__(s): raise X()\n"
                          "    @property\n    def args(s): raise X()\n"
                          + CLOSE + "    raise X()\n"),
    "exception_named_like_the_judges": ("HumanEval/0",
                                        "class ChannelBroken(BaseException):\n    pass\n"
                                        + CLOSE + "    raise ChannelBroken('closed')\n"),
    "exception_mro_says_assertion": ("HumanEval/0", "class M(type):\n"
                                     "    def mro(c):\n"
                                     "        return [c, AssertionError, Exception, "
                                     "BaseException, object]\n"
                                     "class X(Exception, metaclass=M):\n    pass\n"
                                     + CLOSE + "    raise X('x')\n"),
    "stop_iteration": ("HumanEval/0", CLOSE + "    raise StopIteration\n"),
    "generator_exit": ("HumanEval/0", CLOSE + "    raise GeneratorExit\n"),
    "keyboard_interrupt_at_load": ("HumanEval/0", "raise KeyboardInterrupt\n"),
    "recursion_bomb": ("HumanEval/0", "import sys\nsys.setrecursionlimit(10 ** 7)\n"
                       + CLOSE + "    return has_close_elements(numbers, threshold)\n"),
    # the channel
    "thread_answers_ahead": ("HumanEval/0", CHANNEL + "import threading\n"
                             "def _spam():\n"
                             "    for i in range(2, 40):\n"
                             "        _os.write(4, _frame({'id': i, 'ok': i % 2 == 0}))\n"
                             + CLOSE + "    threading.Thread(target=_spam).start()\n"
                             "    return True\n"),
    "answer_then_close": ("HumanEval/0", CHANNEL + CLOSE
                          + "    _os.write(4, _frame({'id': 2, 'ok': True}))\n"
                          "    _os.close(4)\n    _os.close(3)\n"
                          "    import time\n    time.sleep(30)\n"),
    "dup2_over_the_channel": ("HumanEval/0", CHANNEL + "import sys\n_os.dup2(4, 1)\n"
                              + CLOSE + "    print(_json.dumps({'status': 'passed'}))\n"
                              "    return True\n"),
    "fork_child_answers": ("HumanEval/0", CHANNEL + CLOSE
                           + "    if _os.fork() == 0:\n"
                           "        for i in range(2, 12):\n"
                           "            _os.write(4, _frame({'id': i, 'ok': True}))\n"
                           "        _os._exit(0)\n"
                           "    import time\n    time.sleep(30)\n"),
    "setsid_ptrace_prctl": ("HumanEval/0", "import ctypes, os, signal\n"
                            "libc = ctypes.CDLL(None, use_errno=True)\n"
                            "for pid in range(1, 64):\n"
                            "    libc.ptrace(16, pid, 0, 0)\n"  # PTRACE_ATTACH
                            "libc.prctl(15, b'rx-judge', 0, 0, 0)\n"  # PR_SET_NAME
                            "libc.prctl(1, signal.SIGKILL, 0, 0, 0)\n"  # PR_SET_PDEATHSIG
                            "try:\n    os.setsid()\nexcept OSError:\n    pass\n"
                            "os.killpg(0, signal.SIGTERM) if False else None\n"
                            + CLOSE + "    return True\n"),
    # the judge's memory: a hundred thousand exception names, kept, would fill it
    "judge_memory_flood": ("HumanEval/0", CHANNEL + CLOSE
                           + "    import random\n"
                           "    tag = '%x' % random.getrandbits(64)\n"
                           "    raised = [{'t': 'iter', 'v': [], 'raise': {'type': f'E{tag}_{i}',"
                           " 'bases': ['Exception'], 'args': {'t': 'tuple', 'v': []},"
                           " 'text': ''}} for i in range(3000)]\n"
                           "    _os.write(4, _frame({'id': 2, 'ok': raised}))\n"
                           "    import time\n    time.sleep(30)\n"),
}


def _batch(sandbox: Sandbox, jobs: list[tuple[Job, Job]]) -> list[Verdict]:
    """Each (reference, attack) pair in one batch; the references must pass. The
    attacks' verdicts."""
    flat = [job for pair in jobs for job in pair]
    verdicts = sandbox.run(flat)
    for i in range(0, len(flat), 2):
        assert verdicts[i].status == "passed", (i // 2, verdicts[i])
    return verdicts[1::2]


@pytest.fixture(scope="module")
def humaneval_forged(sandbox: Sandbox) -> dict[str, Verdict]:
    pairs = []
    for task_id, completion in HUMANEVAL_FORGERIES.values():
        task = humaneval_task(task_id)
        pairs.append((HUMANEVAL.job(task, task.reference, PATIENT_S),
                      HUMANEVAL.job(task, completion, ATTACK_S)))
    return dict(zip(HUMANEVAL_FORGERIES, _batch(sandbox, pairs), strict=True))


@pytest.mark.parametrize("name", list(HUMANEVAL_FORGERIES))
def test_no_humaneval_forgery_passes(humaneval_forged: dict[str, Verdict], name: str) -> None:
    assert humaneval_forged[name].status not in ("passed", "sandbox"), humaneval_forged[name]


# -- MBPP: the names its tests use ------------------------------------------------------
def mbpp_task(number: int, code: str, tests: list[str], setup: str = "") -> Task:
    """An MBPP record of our own, through the suite's own loader."""
    return to_task({"task_id": number, "text": "task", "code": code, "test_list": tests,
                    "test_setup_code": setup}, "redteam")


SIZE = mbpp_task(1001, "import sys\ndef tuple_size(t):\n    return sys.getsizeof(t)\n",
                 ["assert tuple_size((1, 'a', 2)) == sys.getsizeof((1, 'a', 2))",
                  "assert tuple_size(((1, 2), 3)) == sys.getsizeof(((1, 2), 3))"])
TREE = mbpp_task(1002, "class Node:\n    def __init__(self, data):\n        self.data = data\n"
                 "        self.left = None\n        self.right = None\n"
                 "def height(root):\n    if root is None:\n        return 0\n"
                 "    return 1 + max(height(root.left), height(root.right))\n",
                 ["assert height(root) == 3", "assert height(root1) == 1"],
                 setup="root = Node(1)\nroot.left = Node(2)\nroot.left.left = Node(3)\n"
                       "root1 = Node(5)\n")
PAIRS = mbpp_task(1003, "class Pair:\n    def __init__(self, a, b):\n        self.a = a\n"
                  "        self.b = b\n"
                  "def widest(pairs):\n    return max(p.b - p.a for p in pairs)\n",
                  ["assert widest([Pair(1, 5), Pair(2, 3)]) == 4",
                   "assert widest([Pair(0, 1)]) == 1"])

#: name -> (task, completion)
MBPP_FORGERIES: dict[str, tuple[Task, str]] = {
    # passed before the judge bound standard modules the test uses to its own: the
    # program decided both sides of ``tuple_size(t) == sys.getsizeof(t)``
    "fake_sys_object": (SIZE, "class _S:\n    def getsizeof(self, x):\n        return 0\n"
                              "sys = _S()\ndef tuple_size(t):\n    return 0\n"),
    "fake_sys_module": (SIZE, "import types\nsys = types.ModuleType('sys')\n"
                              "sys.getsizeof = lambda x: 0\ndef tuple_size(t):\n    return 0\n"),
    "sys_is_another_module": (SIZE, "import json as sys\ndef tuple_size(t):\n    return 0\n"),
    "class_counts_its_instances": (TREE, "class Node:\n    made = 0\n"
                                         "    def __init__(self, data):\n"
                                         "        Node.made += 1\n"
                                         "def height(root):\n    return Node.made\n"),
    "class_equal_to_everything": (PAIRS, "class Pair:\n    def __init__(self, a, b):\n"
                                         "        pass\n"
                                         "    def __eq__(self, o):\n        return True\n"
                                         "    __hash__ = object.__hash__\n"
                                         "def widest(pairs):\n    return Pair(0, 0)\n"),
    "setattr_hook_returns_true": (TREE, "class Node:\n"
                                        "    def __setattr__(self, k, v):\n"
                                        "        raise StopIteration\n"
                                        "    def __init__(self, data):\n        pass\n"
                                        "def height(root):\n    return 3\n"),
}


@pytest.fixture(scope="module")
def mbpp_forged(sandbox: Sandbox) -> dict[str, Verdict]:
    bench = MBPP()
    pairs = [(bench.job(task, task.reference, PATIENT_S), bench.job(task, completion, ATTACK_S))
             for task, completion in MBPP_FORGERIES.values()]
    return dict(zip(MBPP_FORGERIES, _batch(sandbox, pairs), strict=True))


@pytest.mark.parametrize("name", list(MBPP_FORGERIES))
def test_no_mbpp_forgery_passes(mbpp_forged: dict[str, Verdict], name: str) -> None:
    assert mbpp_forged[name].status not in ("passed", "sandbox"), mbpp_forged[name]


def test_a_standard_module_the_test_uses_is_the_judges_own() -> None:
    # the judge's ``sys``, not what the program bound: a sample that imported it passes
    # (as in the original harness), one whose tuple_size is wrong does not
    with Sandbox(workers=1) as sb:
        bench = MBPP()
        wrong = "import sys\ndef tuple_size(t):\n    return sys.getsizeof(t) + 1\n"
        verdicts = sb.run([bench.job(SIZE, SIZE.reference, PATIENT_S),
                           bench.job(SIZE, wrong, PATIENT_S)])
    assert [v.status for v in verdicts] == ["passed", "failed"], verdicts


# -- honest but unusual solutions ---------------------------------------------------------
HONEST: dict[str, tuple[str, str]] = {
    # failed before arrays crossed as data: ``tuple(candidate(l))`` of a reference
    "numpy_array": ("HumanEval/33", "import numpy as np\n" + THIRD
                    + "    a = np.array(l)\n    a[::3] = np.sort(a[::3])\n    return a\n"),
    "numpy_scalar": ("HumanEval/2", "import numpy as np\n" + TRUNC
                     + "    return np.float64(number) % 1.0\n"),
    "generator": ("HumanEval/33", THIRD + "    s = sorted(l[::3])\n"
                  "    for i, x in enumerate(l):\n"
                  "        yield s[i // 3] if i % 3 == 0 else x\n"),
    "prints_a_lot": ("HumanEval/0", CLOSE + "    print('x' * 5_000_000)\n"
                     "    return any(abs(a - b) < threshold for i, a in enumerate(numbers)"
                     " for b in numbers[i + 1:])\n"),
    "deep_recursion": ("HumanEval/55", "import sys\nsys.setrecursionlimit(10000)\n"
                       "def fib(n, memo={}):\n    if n < 2:\n        return n\n"
                       "    if n not in memo:\n        memo[n] = fib(n - 1) + fib(n - 2)\n"
                       "    return memo[n]\n"),
    "set_then_sorted": ("HumanEval/58", "def common(l1, l2):\n"
                        "    return sorted(set(l1) & set(l2))\n"),
    "mutates_its_argument": ("HumanEval/33", THIRD + "    l[::3] = sorted(l[::3])\n"
                             "    return l\n"),
}


def test_honest_unusual_solutions_pass(sandbox: Sandbox) -> None:
    jobs = []
    for task_id, completion in HONEST.values():
        task = humaneval_task(task_id)
        jobs.append(HUMANEVAL.job(task, completion, PATIENT_S))
    verdicts = dict(zip(HONEST, sandbox.run(jobs), strict=True))
    assert {n: v.status for n, v in verdicts.items()} == dict.fromkeys(HONEST, "passed"), \
        verdicts


def test_honest_expected_exception_passes(sandbox: Sandbox) -> None:
    task = mbpp_task(1004, "def root(x):\n    if x < 0:\n        raise ValueError(x)\n"
                           "    return x ** 0.5\n",
                     ["assert root(4) == 2.0",
                      "try:\n    root(-1)\nexcept ValueError:\n    pass\n"
                      "else:\n    raise AssertionError('no ValueError')"])
    own_error = ("class Negative(ValueError):\n    pass\n"
                 "def root(x):\n    if x < 0:\n        raise Negative(x)\n"
                 "    return x ** 0.5\n")
    bench = MBPP()
    verdicts = sandbox.run([bench.job(task, task.reference, PATIENT_S),
                            bench.job(task, own_error, PATIENT_S)])
    assert [v.status for v in verdicts] == ["passed", "passed"], verdicts


# -- the next sample of the same worker --------------------------------------------------
#: leaves data for the next sample everywhere a sample can write, without a file
LEAVE = (
    "import ctypes, os, socket, time\n"
    "home = os.environ['HOME']\n"
    "os.utime(home, ns=(123456789, 987654321))\n"
    "os.setxattr(home, 'user.secret', b'leak')\n"
    "os.setxattr(home, 'system.posix_acl_default', bytes.fromhex("
    "'0200000001000700ffffffff04000500ffffffff20000500ffffffff'))\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "print('add_key', libc.syscall(248, b'user', b'leak', b'leak', 4, -4))\n"
    "print('mq_open', libc.mq_open(b'/leak', os.O_CREAT | os.O_RDWR, 0o600, None))\n"
    "s = socket.socket(socket.AF_UNIX)\ns.bind(b'\\0leak')\ns.listen()\n"
    "if os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
)
#: then, 50 ms in, reads the root directory (its atime would say when)
LEAVE_ATIME = "import os, time\ntime.sleep(0.05)\nos.listdir(os.environ['HOME'])\n"
#: what the next sample finds
FIND = (
    "import ctypes, os, socket\n"
    "home = os.environ['HOME']\n"
    "st = os.stat(home)\n"
    "found = []\n"
    "if st.st_mtime_ns == 987654321:\n    found.append('mtime')\n"
    "if os.listxattr(home):\n    found.append(os.listxattr(home))\n"
    "if st.st_atime_ns != st.st_mtime_ns:\n    found.append('atime')\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "if libc.mq_open(b'/leak', os.O_RDWR) >= 0:\n    found.append('mqueue')\n"
    "try:\n    socket.socket(socket.AF_UNIX).connect(b'\\0leak')\n"
    "    found.append('socket')\nexcept OSError:\n    pass\n"
    "print('found', found)\n"
)


@pytest.fixture(scope="module")
def one_worker() -> Iterator[Sandbox]:
    with Sandbox(workers=1, memory_mb=512) as sb:
        yield sb


def test_nothing_a_sample_leaves_reaches_the_next(one_worker: Sandbox) -> None:
    # before the fix the scratch root kept its times, extended attributes and default
    # ACL (no file was left, so it was not replaced): a channel between samples of one
    # worker through which later samples of a task could learn its answers
    verdicts = one_worker.run([Job(program, timeout_s=PATIENT_S)
                               for program in (LEAVE, FIND, LEAVE_ATIME, FIND)])
    assert verdicts[0].status == "passed", verdicts[0]
    assert "add_key -1" in verdicts[0].stdout and "mq_open -1" in verdicts[0].stdout
    assert verdicts[1].stdout.strip() == "found []", verdicts[1]
    assert verdicts[3].stdout.strip() == "found []", verdicts[3]


def test_the_judges_stand_in_exception_classes_are_bounded() -> None:
    from benchmarks.sandbox import values

    for i in range(5000):
        decode_exception({"type": f"Flood{i}", "bases": ["Exception"],
                          "args": {"t": "tuple", "v": []}}, lambda *_: None)
    assert len(values._STAND_INS) <= values._STAND_INS_KEPT


# -- neighbours in the same batch ---------------------------------------------------------
#: name -> a completion of HumanEval/0 that attacks the samples around it
INTERFERENCE: dict[str, str] = {
    "cpu_spinners": (CLOSE + "    import os\n"
                     "    for _ in range(40):\n"
                     "        try:\n            if os.fork() == 0:\n"
                     "                while True:\n                    pass\n"
                     "        except OSError:\n            break\n"
                     "    while True:\n        pass\n"),
    "thread_bomb": (CLOSE + "    import threading, time\n"
                    "    while True:\n"
                    "        try:\n"
                    "            threading.Thread(target=time.sleep, args=(60,)).start()\n"
                    "        except RuntimeError:\n            time.sleep(60)\n"),
    "descriptor_exhaustion": (CLOSE + "    import os, time\n    held = []\n"
                              "    while True:\n        try:\n"
                              "            held.append(os.pipe())\n"
                              "        except OSError:\n            time.sleep(60)\n"),
    "memory_to_the_limit": (CLOSE + "    held = []\n    while True:\n"
                            "        held.append(bytearray(16 << 20))\n"),
    "scratch_to_the_cap": (CLOSE + "    import os\n    with open('fill', 'wb') as fh:\n"
                           "        while True:\n            fh.write(b'x' * (1 << 20))\n"),
    "signals_to_everyone": (CLOSE + "    import os, signal\n"
                            "    for sig in (signal.SIGKILL, signal.SIGSTOP, signal.SIGTERM):\n"
                            "        for pid in (-1, 0, *range(1, 4096)):\n"
                            "            try:\n                os.kill(pid, sig)\n"
                            "            except OSError:\n                pass\n"
                            "    return True\n"),
}


def test_a_sample_cannot_break_its_neighbours(sandbox: Sandbox) -> None:
    task = humaneval_task("HumanEval/0")
    # the attacks that never end hold their worker for their whole (short) limit while
    # the references run on the other one
    pairs = [(HUMANEVAL.job(task, task.reference, PATIENT_S), HUMANEVAL.job(task, attack, 4.0))
             for attack in INTERFERENCE.values()]
    verdicts = dict(zip(INTERFERENCE, _batch(sandbox, pairs), strict=True))
    for name, verdict in verdicts.items():
        assert verdict.status not in ("passed", "sandbox"), (name, verdict)
