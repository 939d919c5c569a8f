"""A shared sandbox for the executor's tests, and helpers to look for leftovers.

Every test here runs real untrusted-looking code, always inside the sandbox; the test
process only opens listeners, writes bait files and inspects the host afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from benchmarks.sandbox import Job, Sandbox, Verdict, procname

T = TypeVar("T")

#: a correct program, run beside every attack: it must still pass
GOOD = "def add(a, b):\n    return a + b\nassert add(2, 3) == 5\n"
#: the wall clock of a job whose verdict is not about time (a correct program, or an
#: attack that ends by itself): far beyond what it needs however loaded the machine
#: (a loaded 2-core box takes seconds to start a sample), so that it passes or fails
#: on what it did, never on the load. An attack whose verdict is the timeout never
#: ends by itself and gets a short limit: any limit is reached.
PATIENT_S = 60.0
#: GOOD with that limit
GOOD_JOB = Job(GOOD, timeout_s=PATIENT_S)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(workers=2, memory_mb=512) as sb:
        yield sb


def run_one(sandbox: Sandbox, program: str, timeout_s: float = PATIENT_S) -> Verdict:
    return sandbox.run([Job(program, timeout_s=timeout_s)])[0]


def run_beside_good(sandbox: Sandbox, attack: str, timeout_s: float = PATIENT_S) -> Verdict:
    """Run ``attack`` in one batch with correct programs before and after it; they
    must pass whatever the attack did. Returns the attack's verdict."""
    jobs = [GOOD_JOB, Job(attack, timeout_s=timeout_s), GOOD_JOB, GOOD_JOB, GOOD_JOB]
    verdicts = sandbox.run(jobs)
    for i in (0, 2, 3, 4):
        assert verdicts[i].status == "passed", (i, verdicts[i])
    return verdicts[1]


def wait_for(condition: Callable[[], T], what: str, within_s: float = PATIENT_S) -> T:
    """``condition()``'s first truthy value, polled until a deadline (the kernel and a
    loaded machine take their time); fails naming ``what`` if it never comes."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {within_s:.0f} s")


def run_marker(number: int) -> str:
    """A ``sleep`` argument that names this test run: ``number``, then this pytest's
    pid (fixed width) as its fraction. Several people run this suite on one machine at
    once: with a fixed number, ``processes_with`` found another run's sleeps."""
    return f"{number}.{os.getpid():07d}"


def processes_with(marker: str) -> list[int]:
    """Host processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(int(entry))
        except OSError:
            continue
    return [p for p in found if p != os.getpid()]


def leftovers(sandbox: Sandbox) -> list[int]:
    """Processes below the workers' inits other than their zygote and judge: between
    jobs there must be none. (Each worker process the host started has one child, the
    init of its PID namespace.)"""
    found = []
    for worker in sandbox._workers:
        for init in descendants(worker.proc.pid, depth=1):
            found += [p for p in descendants(init) if process_name(p) not in SANDBOX_OWN]
    return found


#: the long-lived processes of a worker, named by the sandbox
SANDBOX_OWN = (procname.ZYGOTE.decode(), procname.JUDGE.decode())


def process_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def descendants(pid: int, depth: int | None = None) -> list[int]:
    """Every live process below ``pid`` (by parent links in /proc), down to ``depth``
    generations."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier, level = [], [pid], 0
    while frontier and (depth is None or level < depth):
        children = [p for p, parent in parents.items() if parent in frontier]
        found += children
        frontier, level = children, level + 1
    return found
